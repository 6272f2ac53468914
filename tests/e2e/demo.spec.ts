// End to end: the real `causeway serve --demo`, the built web UI, Debian's
// Chromium. Run with CAUSEWAY_BIN=<path to the causeway binary>.
import { expect, request as playwrightRequest, test } from "@playwright/test";
import path from "node:path";
import { artifacts, serverForSpec } from "./server";

const server = serverForSpec();

/** One firing Alertmanager alert, as Alertmanager's webhook sends it. */
function crashLoopWebhook() {
  const labels = {
    alertname: "KubePodCrashLooping",
    namespace: "e2e",
    pod: "web-7d9f8b6c5-x2b4k",
    container: "web",
    severity: "critical",
  };
  const annotations = {
    summary: "Pod e2e/web is crash looping",
    description: "Pod e2e/web-7d9f8b6c5-x2b4k (web) restarted 5 times in 10 minutes.",
  };
  return {
    version: "4",
    groupKey: '{}:{alertname="KubePodCrashLooping"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "causeway",
    groupLabels: { alertname: "KubePodCrashLooping" },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: "http://alertmanager.e2e:9093",
    alerts: [
      {
        status: "firing",
        labels,
        annotations,
        startsAt: new Date().toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus.e2e:9090/graph?g0.expr=KubePodCrashLooping",
        fingerprint: "e2e0000000000001",
      },
    ],
  };
}

test.describe.configure({ mode: "serial" });

test("the demo incident is explained, and a new alert shows up live", async ({ page, context, request }) => {
  const s = server();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  // The login link trades its token for an HttpOnly cookie and drops it from the address bar.
  await page.goto(s.newLoginUrl());
  await expect(page).toHaveURL(`${s.base}/`);
  const cookies = await context.cookies(s.base);
  expect(cookies.length, "the login link sets a session cookie").toBeGreaterThan(0);
  expect(cookies.every((c) => c.httpOnly), "the session cookie is HttpOnly").toBe(true);

  await expect(page.getByRole("heading", { name: "Causeway" })).toBeVisible();
  const rows = page.getByTestId("incident-list").getByTestId("incident-row");
  await expect(rows.first()).toBeVisible({ timeout: 20_000 });
  expect(await rows.count()).toBeGreaterThanOrEqual(1);

  // The demo incident: the first row, open by default.
  const first = rows.first();
  const demoId = await first.getAttribute("data-incident-id");
  await first.click();
  const detail = page.getByTestId("incident-detail");
  await expect(detail).toBeVisible();
  await expect(detail).toHaveAttribute("data-incident-id", demoId!);

  const insight = detail.getByTestId("insight");
  await expect(insight).toBeVisible();
  expect((await insight.innerText()).trim().length, "the insight is not empty").toBeGreaterThan(0);
  await expect(insight.locator(".muted")).toHaveCount(0); // not the "no insight yet" placeholder

  const rootEntity = detail.getByTestId("root-cause").getByTestId("root-cause-entity");
  await expect(rootEntity).toBeVisible();
  expect((await rootEntity.innerText()).trim()).toMatch(/^[a-z][a-z0-9-]*\/\S+$/i);

  const graph = detail.getByTestId("graph");
  await expect(graph).toBeVisible();
  await expect(graph.locator('[data-root="true"]')).toHaveCount(1);

  const signalRows = detail.getByTestId("signal-row");
  expect(await signalRows.count(), "the demo incident has at least 3 signals").toBeGreaterThanOrEqual(3);
  for (const row of await signalRows.all()) {
    const reason = row.getByTestId("link-reason");
    await expect(reason).toBeVisible();
    expect((await reason.innerText()).trim().length, "each signal says why it joined").toBeGreaterThan(0);
    await expect(reason.locator(".strategy")).toHaveCount(1); // a real link, not "not linked"
  }
  await expect(page.locator("body")).not.toContainText("[object Object]");
  await page.screenshot({ path: path.join(artifacts, "demo-incident.png"), fullPage: true });

  // A new alert arrives through the webhook; the open page shows it without a reload.
  const before = new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-incident-id"))));
  const res = await request.post(`${s.base}/webhooks/alertmanager/default`, {
    data: crashLoopWebhook(),
    headers: { "content-type": "application/json", "user-agent": "Alertmanager/0.27.0", authorization: `Bearer ${s.receiverSecret}` },
  });
  expect(res.status(), `webhook answered ${res.status()}: ${await res.text()}`).toBe(202);

  await expect
    .poll(
      async () =>
        rows.evaluateAll(
          (els, known) =>
            els.some(
              (e) =>
                !known.includes(e.getAttribute("data-incident-id")) &&
                /crash looping/i.test(e.querySelector(".row-title")?.textContent ?? ""),
            ),
          [...before],
        ),
      { timeout: 15_000, message: "a new incident row titled '…crash looping' appears via live update" },
    )
    .toBe(true);
  // Still the same page load: the demo incident stays open.
  await expect(detail).toHaveAttribute("data-incident-id", demoId!);
  await page.screenshot({ path: path.join(artifacts, "live-update.png"), fullPage: true });

  expect(pageErrors, "no uncaught errors in the page").toEqual([]);
});

test("the API refuses a request without a session", async ({ browser }) => {
  const s = server();
  const anonymous = await playwrightRequest.newContext(); // no cookie, no token
  try {
    const res = await anonymous.get(`${s.base}/api/incidents`);
    expect(res.status()).toBe(401);
    const body = await res.json();
    expect(typeof body.code).toBe("string");
    expect(typeof body.message).toBe("string");
    expect(body.message.length).toBeGreaterThan(0);

    const rpc = await anonymous.post(`${s.base}/api/rpc`, { data: { command: "listIncidents" } });
    expect(rpc.status()).toBe(401);
    const rpcBody = await rpc.json();
    expect(typeof rpcBody.code).toBe("string");
    expect(typeof rpcBody.message).toBe("string");
  } finally {
    await anonymous.dispose();
  }

  // The page opened without the printed link says what to do, once.
  const stranger = await browser.newContext();
  try {
    const page = await stranger.newPage();
    await page.goto(`${s.base}/`);
    const banner = page.getByTestId("session-banner");
    await expect(banner).toContainText("Session expired — open a new link from `causeway login` (each link opens one session)");
    await expect(page.locator("body")).not.toContainText("[object Object]");
    await expect(page.getByTestId("incident-row")).toHaveCount(0);
    await page.screenshot({ path: path.join(artifacts, "session-expired.png"), fullPage: true });
  } finally {
    await stranger.close();
  }
});

test("the graph keeps fitting its box when the window narrows, until the user moves it", async ({ page }) => {
  const s = server();
  await page.goto(s.newLoginUrl());
  const graph = page.getByTestId("incident-detail").getByTestId("graph");
  await expect(graph.locator('[data-root="true"]')).toHaveCount(1, { timeout: 20_000 });
  await expect(graph).toHaveAttribute("data-layout", "elk", { timeout: 20_000 });
  /** How many nodes stick out of the graph's box. */
  const outside = () =>
    graph.evaluate((box) => {
      const b = box.getBoundingClientRect();
      return [...box.querySelectorAll(".react-flow__node")].filter((n) => {
        const r = n.getBoundingClientRect();
        return r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1;
      }).length;
    });
  await expect.poll(outside).toBe(0);
  await page.setViewportSize({ width: 1000, height: 1000 });
  await expect.poll(outside, { message: "every node inside the narrower box" }).toBe(0);
  await page.screenshot({ path: path.join(artifacts, "graph-narrow.png") });

  // Once the user zooms, the view is theirs: a resize keeps it.
  const transform = () => graph.locator(".react-flow__viewport").evaluate((v) => (v as HTMLElement).style.transform);
  await graph.scrollIntoViewIfNeeded();
  const b = (await graph.boundingBox())!;
  const fitted = await transform();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  await page.mouse.wheel(0, -300);
  await expect.poll(transform).not.toBe(fitted);
  await page.waitForTimeout(500);
  const zoomed = await transform();
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.waitForTimeout(500);
  expect(await transform()).toBe(zoomed);
});
