// The Kubernetes connector set up in the browser against the real `causeway
// serve`: the context picker lists the contexts of the kubeconfig the server
// reads, the form asks for no webhook, and monitoring shows the watch's
// health. The cluster is one that cannot be reached (a closed loopback port):
// what a user sees when the VPN is down.
import { expect, test } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { artifacts, startServer, stopServer, type Server } from "./server";

let server: Server | undefined;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test.beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const port = await closedPort();
  server = await startServer({
    prepare: (dir) => {
      const kubeconfig = path.join(dir, "kubeconfig");
      writeFileSync(
        kubeconfig,
        [
          "apiVersion: v1",
          "kind: Config",
          "current-context: dev",
          "clusters:",
          "- name: dev-cluster",
          "  cluster:",
          `    server: http://127.0.0.1:${port}`,
          "- name: prod-eu",
          "  cluster:",
          `    server: http://127.0.0.1:${port}/prod`,
          "users:",
          "- name: oncall",
          "  user:",
          "    token: e2e-not-a-secret",
          "contexts:",
          "- name: dev",
          "  context: {cluster: dev-cluster, user: oncall}",
          "- name: prod",
          "  context: {cluster: prod-eu, user: oncall, namespace: shop}",
          "",
        ].join("\n"),
      );
      return { KUBECONFIG: kubeconfig };
    },
  });
});

test.afterAll(async () => {
  if (server) await stopServer(server);
});

test("set up Kubernetes with the context picker, no webhook asked or shown, and watch its connection's health", async ({ page }) => {
  const s = server!;
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(s.loginUrl);
  await page.getByTestId("nav-connectors").click();
  const card = page.getByTestId("connector-card").filter({ hasText: "Kubernetes" }).filter({ hasText: "live watch" });
  await page.getByTestId("catalogue-search").fill("kube");
  await card.getByRole("button", { name: "Set up Kubernetes" }).click();

  const wizard = page.getByTestId("wizard");
  await expect(wizard.getByTestId("verify-scheme")).toHaveCount(0);
  await expect(wizard.getByTestId("webhook-secret")).toHaveCount(0);
  await wizard.getByLabel("Name").fill("prod");
  await wizard.getByRole("button", { name: "Next" }).click();

  // The contexts of the server's kubeconfig, the current one as the default.
  const picker = wizard.getByTestId("wz-f-context-picker");
  await expect(picker.locator("option")).toHaveText(["Default: dev", /^dev — dev-cluster · http:\/\/127\.0\.0\.1:\d+$/, /^prod — prod-eu · .* · namespace shop$/]);
  await expect(wizard).toContainText(/From \$KUBECONFIG \(.*kubeconfig\)/);
  await picker.selectOption("prod");
  await wizard.getByLabel("Namespaces (optional)").fill("shop, payments");
  await page.screenshot({ path: path.join(artifacts, "kubernetes-form.png") });
  await wizard.getByRole("button", { name: "Next" }).click();

  // The test connects for real: the cluster cannot be reached, and it says so.
  await wizard.getByTestId("test-connection").click();
  await expect(wizard.getByTestId("dry-run")).toContainText("cannot reach the API server", { timeout: 30_000 });
  await wizard.getByRole("button", { name: "Next" }).click();
  await expect(wizard.getByTestId("step-confirm")).toContainText('["shop","payments"]');
  await wizard.getByRole("button", { name: "Connect" }).click();
  const done = page.getByTestId("wizard-done");
  await expect(done).toContainText("prod is set up and connecting");
  await expect(done.getByTestId("webhook-url")).toHaveCount(0);
  await done.getByRole("button", { name: "Go to monitoring" }).click();

  const inst = page.getByTestId("instance").filter({ hasText: "kubernetes" });
  const stream = inst.getByTestId("stream");
  await expect(stream).toBeVisible({ timeout: 20_000 });
  await expect(stream.getByTestId("stream-context")).toHaveText("prod");
  await expect(stream.getByTestId("stream-server")).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/prod$/);
  await expect(stream.getByTestId("stream-state")).toHaveText(/Cannot connect|Reconnecting/, { timeout: 30_000 });
  await expect(stream.getByTestId("stream-message")).toContainText("cannot reach the API server");
  await expect(stream.getByTestId("stream-objects")).toHaveText("0");
  await expect(stream.getByTestId("stream-last-event")).toHaveText("none yet");
  await expect(inst).not.toContainText("Webhook");
  await page.screenshot({ path: path.join(artifacts, "kubernetes-monitoring.png") });
  expect(errors).toEqual([]);
});
