// Projects keep production and staging apart, against the real `causeway
// serve --demo`: a project made in the UI gets its own Alertmanager receiver
// (URL and secret read off the page, shown once), an alert posted there opens
// an incident in that project's list only, the switcher's choice survives a
// reload, and deleting the project through the typed confirmation takes it
// (and its webhook URL) away.
import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { artifacts, serverForSpec } from "./server";

const server = serverForSpec();

/** One firing critical alert on a Node the demo never names, as Alertmanager (v4) sends it. */
function stagingAlert() {
  const node = "e2e-staging-node";
  return {
    version: "4",
    groupKey: `{}:{node="${node}"}`,
    status: "firing",
    receiver: "causeway-staging",
    groupLabels: { node },
    commonLabels: { node, severity: "critical" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.staging.e2e:9093",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "KubeNodeNotReady", node, severity: "critical" },
        annotations: { summary: `Node ${node} is not ready` },
        startsAt: new Date().toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        fingerprint: "e2estaging000001",
      },
    ],
  };
}

async function switchProject(page: Page, name: string) {
  await page.getByTestId("project-current").click();
  await page.getByRole("menu", { name: "Projects" }).getByRole("menuitemradio", { name: new RegExp(`^${name}`) }).click();
  await expect(page.getByTestId("project-name")).toHaveText(name);
}

test("a staging project: its own receiver, its own incidents, kept over a reload, then deleted with what it holds", async ({ page, request }) => {
  const s = server();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(s.newLoginUrl());
  const rows = page.getByTestId("incident-row");
  await expect(rows.filter({ hasText: "redis-cart" })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("project-name")).toHaveText("Default");

  // New project, from the switcher.
  await page.getByTestId("project-current").click();
  await page.getByRole("menuitem", { name: "New project…" }).click();
  const form = page.getByRole("dialog", { name: "New project" });
  await form.getByLabel("Name").fill("Staging");
  await form.getByLabel("Id").fill("Staging!");
  await expect(form.getByTestId("new-project-id-help")).toContainText("lowercase letters, digits and inner hyphens");
  await form.getByLabel("Id").fill("staging");
  await form.getByRole("button", { name: "Create project" }).click();
  const made = page.getByRole("dialog", { name: "Project Staging created" });
  await expect(made).toBeVisible();
  const url = await made.getByTestId("project-webhook-url").inputValue();
  const secret = await made.getByTestId("project-webhook-secret").inputValue();
  expect(url).toBe(`${s.base}/webhooks/alertmanager/staging`);
  expect(secret.length).toBeGreaterThan(16);
  await expect(made.getByTestId("alertmanager-snippet")).toContainText(`credentials: ${secret}`);
  await page.screenshot({ path: path.join(artifacts, "project-created.png") });
  await made.getByRole("button", { name: "Switch to Staging" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  // The secret was shown once: it is nowhere on the page now.
  expect(await page.content()).not.toContain(secret);
  await expect(page.getByTestId("project-name")).toHaveText("Staging");
  await expect(page.getByTestId("incident-list")).toContainText("No incidents yet");
  await expect(page.getByTestId("incident-list")).toContainText("/webhooks/alertmanager/staging");

  // A staging alert, to the URL and with the secret read off the page.
  const res = await request.post(url, { data: stagingAlert(), headers: { authorization: `Bearer ${secret}` } });
  expect(res.status(), await res.text()).toBe(202);
  const staged = rows.filter({ hasText: "e2e-staging-node" });
  await expect(staged).toBeVisible({ timeout: 20_000 });
  await expect(rows.filter({ hasText: "redis-cart" })).toHaveCount(0);
  await expect(page.getByTestId("nav-incidents").locator(".count")).toHaveText("1");
  await page.screenshot({ path: path.join(artifacts, "project-staging.png") });

  // The choice is kept over a reload.
  await page.reload();
  await expect(page.getByTestId("project-name")).toHaveText("Staging");
  await expect(staged).toBeVisible({ timeout: 20_000 });

  // Back to default: the demo's incidents, and not the staging one.
  await switchProject(page, "Default");
  await expect(rows.filter({ hasText: "redis-cart" })).toBeVisible({ timeout: 20_000 });
  await expect(staged).toHaveCount(0);
  await page.getByTestId("incident-search").fill("e2e-staging-node");
  await expect(page.getByTestId("incident-list")).not.toContainText("e2e-staging-node", { timeout: 5_000 });
  await page.getByTestId("incident-search").fill("");

  // Delete it from Settings, through the confirmation that names what goes.
  await switchProject(page, "Staging");
  await page.getByTestId("project-current").click();
  await page.getByRole("menuitem", { name: "Manage projects…" }).click();
  const projects = page.getByTestId("projects");
  await expect(projects.getByTestId("project-row")).toHaveCount(2);
  await expect(projects.locator('[data-testid="project-row"][data-project-id="default"]').getByRole("button", { name: /Delete/ })).toHaveCount(0);
  await projects.getByRole("button", { name: "Delete Staging…" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete project Staging" });
  const counts = confirm.getByTestId("delete-project-counts");
  await expect(counts).toContainText("1 connector with its keychain secrets");
  await expect(counts).toContainText("1 incident");
  await expect(counts).toContainText("1 signal");
  const submit = confirm.getByRole("button", { name: "Delete this project" });
  await expect(submit).toBeDisabled();
  await confirm.getByLabel(/to confirm/).fill("stagin");
  await expect(submit).toBeDisabled();
  await confirm.getByLabel(/to confirm/).fill("staging");
  await expect(submit).toBeEnabled();
  await page.screenshot({ path: path.join(artifacts, "project-delete.png") });
  await submit.click();
  await expect(confirm).toHaveCount(0, { timeout: 20_000 });

  // Gone: from Settings, from the switcher (which shows default again), and its webhook URL.
  await expect(projects.getByTestId("project-row")).toHaveCount(1);
  await expect(page.getByTestId("project-name")).toHaveText("Default");
  await page.getByTestId("project-current").click();
  await expect(page.getByTestId("project-option")).toHaveText([/^Default/]);
  await page.keyboard.press("Escape");
  const after = await request.post(url, { data: stagingAlert(), headers: { authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(404);
  expect(errors).toEqual([]);
});
