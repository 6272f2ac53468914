// OAuth "Connect" end to end: a user descriptor that signs in with OAuth2
// (authorization code + PKCE), a fake provider on loopback (the one thing
// that cannot run here), the real `causeway serve` with the real keychain,
// and the browser following the sign-in link the wizard opens.
import { expect, test } from "@playwright/test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { artifacts, serverForSpec } from "./server";

/** A generic connector polled with OAuth: one stream of build events. */
const descriptor = {
  id: "e2e-oauth",
  name: "E2E Builds",
  description: "Build results from a fake CI provider that signs in with OAuth.",
  category: "Code & DevOps",
  icon: "e2e-oauth",
  kind: "generic",
  version: "1.0.0",
  auth: { type: "oauth2" },
  ingestion: { mode: "polling" },
  configSchema: {
    type: "object",
    required: ["baseUrl", "clientId"],
    properties: {
      baseUrl: { type: "string", format: "uri", title: "API URL" },
      clientId: { type: "string", title: "OAuth client id" },
      clientSecret: { type: "string", title: "OAuth client secret", "x-secret": true },
    },
  },
  polling: {
    baseUrl: "{{ config.baseUrl }}",
    intervalSeconds: 60,
    auth: {
      type: "oauth2",
      grant: "authorization_code",
      authorizeUrl: "{{ config.baseUrl }}/oauth/authorize",
      tokenUrl: "{{ config.baseUrl }}/oauth/token",
      scopes: ["builds:read"],
    },
    streams: [
      {
        name: "builds",
        request: { path: "/api/builds" },
        itemsPath: "$.builds[*]",
        itemKey: "$.id",
        versionFields: ["$.state"],
        mapping: {
          sourceType: "CUSTOM",
          idPath: "$.item.id",
          fingerprint: "e2e-oauth:{{ item.id }}",
          title: "Build {{ item.id }} {{ item.state }}",
          timestampPath: "$.item.at",
          status: { path: "$.item.state", map: { failed: "firing", passed: "resolved" }, default: "info" },
          severity: { path: "$.item.state", map: { failed: "high" }, default: "info" },
          kind: "change",
        },
      },
    ],
  },
};

type Provider = { url: string; close: () => void; tokenRequests: URLSearchParams[]; bearers: string[] };

/** The provider: signs anyone in at once, trades the code for tokens, serves builds to the token. */
async function fakeProvider(): Promise<Provider> {
  const tokenRequests: URLSearchParams[] = [];
  const bearers: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/oauth/authorize") {
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", "c0de-from-the-fake");
      back.searchParams.set("state", url.searchParams.get("state")!);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === "/oauth/token" && req.method === "POST") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        // A client may send its secret in the form or as basic auth: keep both to check.
        const basic = (req.headers.authorization ?? "").replace(/^Basic /, "");
        if (basic) form.set("basic", Buffer.from(basic, "base64").toString());
        tokenRequests.push(form);
        const ok = form.get("code") === "c0de-from-the-fake" && (form.get("code_verifier") ?? "").length >= 43;
        res.writeHead(ok ? 200 : 400, { "content-type": "application/json" });
        res.end(JSON.stringify(ok ? { access_token: "at-e2e", refresh_token: "rt-e2e", expires_in: 3600, token_type: "bearer" } : { error: "invalid_grant" }));
      });
      return;
    }
    if (url.pathname === "/api/builds") {
      const auth = req.headers.authorization ?? "";
      bearers.push(auth);
      if (auth !== "Bearer at-e2e") {
        res.writeHead(401, { "content-type": "application/json" }).end('{"error": "invalid_token"}');
        return;
      }
      const at = new Date().toISOString();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ builds: [{ id: "b-41", state: "failed", at }] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close(), tokenRequests, bearers };
}

let provider: Provider | undefined;

// Registered first: the provider is up before the server's own beforeAll.
test.beforeAll(async () => {
  provider = await fakeProvider();
});

const server = serverForSpec({
  keyring: true,
  demo: false,
  prepare: (dir) => {
    mkdirSync(path.join(dir, "descriptors"), { recursive: true });
    writeFileSync(path.join(dir, "descriptors", "e2e-oauth.json"), JSON.stringify(descriptor, null, 2));
  },
});

test.afterAll(() => {
  provider?.close();
});

test("OAuth Connect: the wizard opens the provider's sign-in, the tokens land in the keychain, and the source turns healthy", async ({ page, context }) => {
  const s = server();
  const p = provider!;
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(s.newLoginUrl());
  await page.goto(`${s.base}/#/connectors/new/e2e-oauth`);
  const wizard = page.getByTestId("wizard");
  await wizard.getByTestId("instance-name").fill("CI builds");
  await wizard.getByTestId("secret-clientSecret").fill("client-secret-e2e");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByLabel("API URL").fill(p.url);
  await wizard.getByLabel("OAuth client id").fill("client-e2e");
  await wizard.getByRole("button", { name: "Next" }).click();
  // Before signing in, the dry run says so.
  await wizard.getByTestId("test-connection").click();
  await expect(wizard.getByTestId("dry-run")).toHaveAttribute("data-ok", "false");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByRole("button", { name: "Connect" }).click();

  const done = wizard.getByTestId("wizard-done");
  const popup = context.waitForEvent("page");
  await done.getByTestId("oauth-connect").click();
  const signIn = await popup;
  // The provider redirects to Causeway's loopback callback, which takes the code.
  await signIn.waitForURL(/127\.0\.0\.1:\d+\/callback/, { timeout: 20_000 });
  await expect(done.getByTestId("oauth-link")).toHaveAttribute("href", new RegExp(`^${p.url}/oauth/authorize\\?`));
  await expect.poll(() => p.tokenRequests.length, { timeout: 20_000, message: "the code is traded for tokens" }).toBeGreaterThan(0);
  const form = p.tokenRequests[0];
  expect(form.get("client_id")).toBe("client-e2e");
  // The client secret came from the keychain to the provider, and nowhere else.
  expect(form.get("client_secret") === "client-secret-e2e" || (form.get("basic") ?? "").endsWith(":client-secret-e2e")).toBe(true);
  await signIn.close();
  await page.screenshot({ path: path.join(artifacts, "oauth-connect.png"), fullPage: true });

  await done.getByRole("button", { name: "Go to monitoring" }).click();
  const mine = page.getByTestId("monitoring").getByTestId("instance").filter({ hasText: "CI builds" });
  await expect
    .poll(
      async () => {
        await mine.getByRole("button", { name: "Test" }).click();
        return mine.getByTestId("dry-run").getAttribute("data-ok");
      },
      { timeout: 30_000, message: "with the tokens from the keychain the source reads the builds" },
    )
    .toBe("true");
  await expect(mine.getByTestId("dry-run")).toContainText("Build b-41 failed");
  await expect
    .poll(
      async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return mine.getAttribute("data-state");
      },
      { timeout: 90_000, message: "the source polls with the new tokens and turns healthy" },
    )
    .toBe("healthy");
  expect(p.bearers).toContain("Bearer at-e2e");
  // The tokens and the client secret are in the keychain, not in the data folder.
  for (const f of readdirSync(s.dataDir).filter((f) => f.includes(".db") || f.endsWith(".json"))) {
    const bytes = readFileSync(path.join(s.dataDir, f));
    for (const secret of ["at-e2e", "rt-e2e", "client-secret-e2e"]) expect(bytes.includes(secret), `${f} holds no ${secret}`).toBe(false);
  }
  expect(errors).toEqual([]);
});
