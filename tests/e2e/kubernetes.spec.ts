// The Kubernetes connector set up in the browser against the real `causeway
// serve`: the context picker lists the contexts of the kubeconfig the server
// reads, the form asks for no webhook, and monitoring shows the watch's
// health. Two clusters: one that cannot be reached (a closed loopback port,
// what a user sees when the VPN is down), and the fake API server serving
// recorded objects with real list and watch semantics (tests/src/bin).
import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import { artifacts, repo, serverForSpec } from "./server";

let cluster: FakeCluster | undefined;
/** The loopback port of the cluster that cannot be reached. */
let deadPort = 0;

type FakeCluster = { child: ChildProcess; kubeconfig: string; dir: string; apply: (file: string) => Promise<void> };

/** Starts the fake API server on the recorded cluster; its kubeconfig has the context `fake`. */
async function startCluster(): Promise<FakeCluster> {
  const bin = process.env.FAKE_KUBE_API_BIN ?? path.join(path.dirname(process.env.CAUSEWAY_BIN ?? ""), "fake-kube-api");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: cargo build -p causeway-tests --bin fake-kube-api`);
  const dir = mkdtempSync(path.join(tmpdir(), "causeway-e2e-kube-"));
  const child = spawn(bin, [path.join(repo, "tests", "fixtures", "k8s", "cluster"), dir], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`fake-kube-api exited (${code})`)));
  });
  const ready = await next();
  if (!ready.startsWith("ready ")) throw new Error(`fake-kube-api said: ${ready}`);
  return {
    child,
    dir,
    kubeconfig: ready.split(" ")[2],
    apply: async (file) => {
      const answer = next();
      child.stdin!.write(`${file}\n`);
      const line = await answer;
      if (!line.startsWith("applied ")) throw new Error(`fake-kube-api: ${line}`);
    },
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// Registered first: both clusters are known before the server's own
// beforeAll writes its kubeconfig.
test.beforeAll(async () => {
  deadPort = await closedPort();
  cluster = await startCluster();
});

const server = serverForSpec({
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
        `    server: http://127.0.0.1:${deadPort}`,
        "- name: prod-eu",
        "  cluster:",
        `    server: http://127.0.0.1:${deadPort}/prod`,
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
    // Both files, merged the way kubectl merges them.
    return { KUBECONFIG: `${kubeconfig}${path.delimiter}${cluster!.kubeconfig}` };
  },
});

test.afterAll(() => {
  if (cluster) {
    cluster.child.stdin!.end();
    cluster.child.kill();
    rmSync(cluster.dir, { recursive: true, force: true });
  }
});

test("set up Kubernetes with the context picker, no webhook asked or shown, and watch its connection's health", async ({ page }) => {
  const s = server();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(s.newLoginUrl());
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
  await expect(picker.locator("option")).toHaveText([
    "Default: dev",
    /^dev — dev-cluster · http:\/\/127\.0\.0\.1:\d+$/,
    /^prod — prod-eu · .* · namespace shop$/,
    /^fake — fake-cluster · http:\/\/127\.0\.0\.1:\d+$/,
  ]);
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

test("a reachable cluster: the test shows what it would read, the watch connects, and a Warning event arrives as a signal", async ({ page }) => {
  const s = server();
  const c = cluster!;
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(s.newLoginUrl());
  await page.goto(`${s.base}/#/connectors/new/kubernetes`);
  const wizard = page.getByTestId("wizard");
  await wizard.getByLabel("Name").fill("minikube");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByTestId("wz-f-context-picker").selectOption("fake");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByTestId("test-connection").click();
  const dry = wizard.getByTestId("dry-run");
  await expect(dry).toHaveAttribute("data-ok", "true", { timeout: 30_000 });
  await page.screenshot({ path: path.join(artifacts, "kubernetes-test.png"), fullPage: true });
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByRole("button", { name: "Connect" }).click();
  await page.getByTestId("wizard-done").getByRole("button", { name: "Go to monitoring" }).click();

  const inst = page.getByTestId("instance").filter({ hasText: "minikube" });
  const stream = inst.getByTestId("stream");
  await expect(stream.getByTestId("stream-state")).toHaveText("Connected", { timeout: 30_000 });
  await expect(stream.getByTestId("stream-context")).toHaveText("fake");
  await expect(stream.getByTestId("stream-server")).toHaveText(/^http:\/\/127\.0\.0\.1:\d+$/);
  await expect.poll(async () => Number(await stream.getByTestId("stream-objects").textContent()), { timeout: 30_000 }).toBeGreaterThan(5);
  await expect(stream.getByTestId("stream-message")).toHaveCount(0);

  // A pod of the cluster starts crash looping: its Warning event, as of now.
  const event = JSON.parse(readFileSync(path.join(repo, "tests", "fixtures", "k8s", "changes", "event-icx-db-backoff.json"), "utf8"));
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  event.lastTimestamp = now;
  event.metadata.name = `${event.metadata.name}-e2e`;
  const file = path.join(c.dir, "event.json");
  writeFileSync(file, JSON.stringify(event));
  await c.apply(file);
  await expect.poll(async () => Number(await stream.getByTestId("stream-events").textContent()), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await expect(stream.getByTestId("stream-last-event")).not.toHaveText("none yet");
  await page.screenshot({ path: path.join(artifacts, "kubernetes-connected.png") });

  // The event is a signal about that pod, in an incident or waiting in the inbox.
  await expect
    .poll(
      async () => {
        const r = await page.request.post(`${s.base}/api/rpc`, { data: { command: "listSignals", args: { unassigned: false } }, headers: { origin: s.base } });
        const body = (await r.json()) as { signals: { title: string; entity: string | null }[] };
        return body.signals.find((x) => x.title.startsWith("BackOff"))?.entity ?? null;
      },
      { timeout: 30_000, message: "the Warning event became a signal" },
    )
    .toBe("pod/icx/icx-db-7d4b578979-5x8vw");
  expect(errors).toEqual([]);
});
