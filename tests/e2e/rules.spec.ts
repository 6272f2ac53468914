// The Rules screen against the real `causeway serve --demo`: a change to the
// correlation settings and a new auto-incident rule are previewed on the
// stored history (the back-test) before Apply, and once applied the server
// keeps them.
import { expect, test } from "@playwright/test";
import path from "node:path";
import { artifacts, serverForSpec } from "./server";

const server = serverForSpec();

test("a settings change and a new rule are back-tested on the history before Apply, then kept", async ({ page }) => {
  const s = server();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(s.newLoginUrl());
  await expect(page.getByTestId("incident-row").first()).toBeVisible({ timeout: 20_000 });
  await page.getByTestId("nav-rules").click();
  const rules = page.getByTestId("rules");
  const apply = rules.getByTestId("apply-settings");
  const hops = rules.getByTestId("setting-topologyMaxHops");
  await expect(hops).toHaveValue("3");
  await expect(apply).toBeDisabled();

  // Topology joins off: the demo's cascade would come apart.
  await hops.fill("0");
  await expect(apply).toBeDisabled();
  await expect(rules).toContainText("Preview the change before applying it");
  await rules.getByTestId("backtest").click();
  const report = rules.getByTestId("backtest-report");
  await expect(report.getByTestId("backtest-incidents")).toHaveText("1 → 2", { timeout: 30_000 });
  const split = report.getByTestId("backtest-change").filter({ hasText: "split" });
  await expect(split).toHaveCount(1);
  await expect(split).toContainText("redis-cart");
  await expect(split).toContainText("cartservice");
  await page.screenshot({ path: path.join(artifacts, "rules-backtest.png") });

  // Back to 3 hops, and a rule for the capacity warning the demo leaves unassigned.
  await hops.fill("3");
  await expect(apply).toBeDisabled();
  await expect(report).toContainText("earlier draft");
  await rules.getByTestId("rule-new").click();
  const form = rules.getByTestId("rule-form");
  await form.getByTestId("rule-name").fill("capacity");
  await form.getByTestId("rule-sources").fill("alertmanager");
  await form.getByTestId("rule-title").fill("*overcommitted*");
  await form.getByTestId("rule-team").fill("platform");
  await form.getByTestId("rule-add").click();
  await expect(rules.getByTestId("rule")).toHaveCount(1);
  await expect(rules.getByTestId("rule")).toContainText("capacity when from ALERTMANAGER, title ~ *overcommitted*");
  await rules.getByTestId("backtest").click();
  await expect(report.getByTestId("backtest-incidents")).toHaveText("1 → 2", { timeout: 30_000 });
  await expect(report).not.toContainText("earlier draft");
  const created = report.getByTestId("backtest-change");
  await expect(created).toHaveCount(1);
  await expect(created).toContainText("created");
  await expect(created).toContainText("Cluster has overcommitted CPU resource requests");
  await expect(report).toContainText("1 → 0 unassigned");
  await page.screenshot({ path: path.join(artifacts, "rules-rule-backtest.png"), fullPage: true });

  await expect(apply).toBeEnabled();
  await apply.click();
  await expect(rules.getByRole("status").filter({ hasText: "Applied" })).toBeVisible();

  // The server keeps it: a fresh page shows the rule, and nothing left to apply.
  await page.reload();
  await expect(page.getByTestId("rules").getByTestId("rule")).toContainText("capacity", { timeout: 20_000 });
  await expect(page.getByTestId("rules").getByTestId("setting-topologyMaxHops")).toHaveValue("3");
  await expect(page.getByTestId("apply-settings")).toBeDisabled();
  expect(errors).toEqual([]);
});
