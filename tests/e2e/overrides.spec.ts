// People stay in charge: a merge, a split and a move from Incident detail and
// an assignment from the Signals inbox, against the real `causeway serve
// --demo`, each recorded in the decision ledger of the incidents it touched.
import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { artifacts, serverForSpec } from "./server";

const server = serverForSpec();

/** A firing critical alert on a Node the demo never names: an incident of its own. */
function nodeDown() {
  return nodeAlerts("e2e-merge-node", [{ alertname: "KubeNodeNotReady", summary: "Node e2e-merge-node is not ready", fingerprint: "e2emerge00000001" }]);
}

/** Firing critical alerts on one Node, as one Alertmanager notification. */
function nodeAlerts(node: string, alerts: { alertname: string; summary: string; fingerprint: string }[]) {
  return {
    version: "4",
    groupKey: `{}:{node="${node}"}`,
    status: "firing",
    receiver: "causeway",
    groupLabels: { node },
    commonLabels: { node, severity: "critical" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.e2e:9093",
    alerts: alerts.map((a) => ({
      status: "firing",
      labels: { alertname: a.alertname, node, severity: "critical" },
      annotations: { summary: a.summary },
      startsAt: new Date().toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      fingerprint: a.fingerprint,
    })),
  };
}

/** Logs in and finds the demo incident; page errors are collected for the test's end. */
async function openDemo(page: Page) {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(server().newLoginUrl());
  const rows = page.getByTestId("incident-row");
  const demo = rows.filter({ hasText: "redis-cart" });
  await expect(demo).toBeVisible({ timeout: 20_000 });
  const demoId = (await demo.getAttribute("data-incident-id"))!;
  return { errors, rows, demo, demoId };
}

async function signalCount(page: Page): Promise<number> {
  return Number(await page.getByTestId("incident-detail").getByTestId("signal-count").textContent());
}

test("merge an incident into the demo one, then split a signal off: the UI follows and the ledger records both", async ({ page, request }) => {
  const s = server();
  const { errors, rows, demoId } = await openDemo(page);

  const res = await request.post(`${s.base}/webhooks/alertmanager/default`, {
    data: nodeDown(),
    headers: { authorization: `Bearer ${s.receiverSecret}` },
  });
  expect(res.status(), await res.text()).toBe(202);
  const node = rows.filter({ hasText: "e2e-merge-node" });
  await expect(node).toBeVisible({ timeout: 20_000 });
  const nodeId = (await node.getAttribute("data-incident-id"))!;

  // Merge the node incident into the demo incident.
  await page.goto(`${s.base}/#/incidents/${encodeURIComponent(demoId)}`);
  await expect(page.getByTestId("incident-detail")).toHaveAttribute("data-incident-id", demoId);
  const before = await signalCount(page);
  await page.goto(`${s.base}/#/incidents/${encodeURIComponent(nodeId)}`);
  const detail = page.getByTestId("incident-detail");
  await expect(detail).toHaveAttribute("data-incident-id", nodeId);
  await detail.getByRole("button", { name: "Merge into…" }).click();
  await page.getByTestId("incident-picker").getByLabel("Find an incident").fill("redis-cart");
  await page.getByTestId("incident-picker").getByTestId("pick-incident").first().click();
  await expect(detail.getByRole("group", { name: "Confirm merge" })).toContainText("redis-cart");
  await detail.getByRole("button", { name: "Yes, merge" }).click();
  await expect(page.getByTestId("incident-detail")).toHaveAttribute("data-incident-id", demoId, { timeout: 20_000 });
  await expect.poll(() => signalCount(page), { timeout: 20_000, message: "the merged incident's signal joined" }).toBe(before + 1);
  const ledger = page.getByTestId("ledger");
  await expect(ledger.locator('[data-testid="ledger-entry"][data-actor="person"][data-action="merged"]')).toHaveCount(1, { timeout: 20_000 });
  await page.screenshot({ path: path.join(artifacts, "merged.png"), fullPage: true });

  // Split the node's signal back off into an incident of its own.
  const nodeRow = page.getByTestId("incident-detail").getByTestId("signal-row").filter({ hasText: "e2e-merge-node" });
  await nodeRow.getByTestId("pick-signal").check();
  await page.getByTestId("picked-bar").getByRole("button", { name: "Split into a new incident" }).click();
  await expect(page.getByTestId("incident-detail")).not.toHaveAttribute("data-incident-id", demoId, { timeout: 20_000 });
  await expect(page.getByTestId("incident-detail").getByTestId("signal-row")).toHaveCount(1);
  await expect(page.getByTestId("incident-detail").getByTestId("signal-row")).toContainText("e2e-merge-node");
  await expect(page.getByTestId("ledger").locator('[data-actor="person"]').first()).toBeVisible();
  expect(errors).toEqual([]);
});

test("move a signal to another incident and assign one from the inbox: both incidents' ledgers say so", async ({ page, request }) => {
  const s = server();
  const { errors, rows, demo, demoId } = await openDemo(page);

  // Two alerts on one Node: one incident holding both. (Not the rule the
  // test above fired on its own Node a moment ago: the same rule on two
  // Nodes at once is one incident, as Alertmanager's group_by would have it.)
  const res = await request.post(`${s.base}/webhooks/alertmanager/default`, {
    data: nodeAlerts("e2e-move-node", [
      { alertname: "KubeNodeUnreachable", summary: "Node e2e-move-node is unreachable", fingerprint: "e2emove000000001" },
      { alertname: "NodeFilesystemAlmostOutOfSpace", summary: "Filesystem on e2e-move-node is 97% full", fingerprint: "e2emove000000002" },
    ]),
    headers: { authorization: `Bearer ${s.receiverSecret}` },
  });
  expect(res.status(), await res.text()).toBe(202);
  const node = rows.filter({ hasText: "e2e-move-node" });
  await expect(node).toBeVisible({ timeout: 20_000 });
  const nodeId = (await node.getAttribute("data-incident-id"))!;
  const detail = page.getByTestId("incident-detail");
  await demo.click();
  await expect(detail).toHaveAttribute("data-incident-id", demoId);
  const demoBefore = await signalCount(page);
  await node.click();
  await expect(detail).toHaveAttribute("data-incident-id", nodeId);
  await expect(detail.getByTestId("signal-row")).toHaveCount(2, { timeout: 20_000 });

  // Move the filesystem alert into the demo incident.
  await detail.getByTestId("signal-row").filter({ hasText: "97% full" }).getByTestId("pick-signal").check();
  await page.getByTestId("picked-bar").getByRole("button", { name: "Move to…" }).click();
  await page.getByTestId("incident-picker").getByLabel("Find an incident").fill("redis-cart");
  await page.getByTestId("incident-picker").getByTestId("pick-incident").first().click();
  await expect(detail.getByTestId("signal-row")).toHaveCount(1, { timeout: 20_000 });
  await expect(detail.getByTestId("signal-row")).toContainText("unreachable");
  const out = detail.getByTestId("ledger").locator('[data-testid="ledger-entry"][data-actor="person"][data-action="moved_out"]');
  await expect(out).toHaveCount(1, { timeout: 20_000 });
  await expect(out).toContainText(demoId);
  await expect(detail.getByTestId("ledger").locator('[data-actor="engine"][data-action="opened"]')).toHaveCount(1);
  await page.screenshot({ path: path.join(artifacts, "moved-out.png"), fullPage: true });

  // The ledger names the incident it went to, as a link: it opens there.
  await out.getByTestId("ledger-incident").click();
  await expect(detail).toHaveAttribute("data-incident-id", demoId);
  await expect.poll(() => signalCount(page), { timeout: 20_000 }).toBe(demoBefore + 1);
  const moved = detail.getByTestId("signal-row").filter({ hasText: "97% full" });
  await expect(moved.getByTestId("link-reason")).toContainText("moved here by a person");
  await expect(moved.getByTestId("link-reason").locator(".strategy")).toHaveText(/manual/i);
  const movedIn = detail.getByTestId("ledger").locator('[data-actor="person"][data-action="moved_in"]');
  await expect(movedIn.filter({ hasText: "97% full" })).toHaveCount(1);

  // The demo's unassigned signal, from the inbox into the demo incident.
  await page.getByTestId("nav-signals").click();
  const inbox = page.getByTestId("unassigned");
  const waiting = inbox.getByTestId("signal-row").filter({ hasText: "overcommitted CPU" });
  await expect(waiting).toBeVisible({ timeout: 20_000 });
  await waiting.getByTestId("pick-signal").check();
  await page.getByTestId("picked-bar").getByRole("button", { name: "Assign to…" }).click();
  await page.getByTestId("incident-picker").getByLabel("Find an incident").fill("redis-cart");
  await page.getByTestId("incident-picker").getByTestId("pick-incident").first().click();
  await expect(waiting).toHaveCount(0, { timeout: 20_000 });
  await page.screenshot({ path: path.join(artifacts, "inbox-assigned.png"), fullPage: true });

  await page.goto(`${s.base}/#/incidents/${encodeURIComponent(demoId)}`);
  await expect(detail).toHaveAttribute("data-incident-id", demoId);
  await expect(detail.getByTestId("signal-row").filter({ hasText: "overcommitted CPU" })).toHaveCount(1, { timeout: 20_000 });
  await expect(movedIn.filter({ hasText: "overcommitted CPU" })).toHaveCount(1, { timeout: 20_000 });
  await expect(movedIn.filter({ hasText: "overcommitted CPU" })).toContainText("put here by a person");
  // Every decision is there, the engine's first.
  const actors = await detail.getByTestId("ledger-entry").evaluateAll((els) => els.map((e) => e.getAttribute("data-actor")));
  expect(actors[0]).toBe("engine");
  expect(actors.filter((a) => a === "person").length).toBeGreaterThanOrEqual(2);
  await detail.getByRole("region", { name: "Decisions" }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifacts, "ledger.png") });
  expect(errors).toEqual([]);
});
