// Starts the real `causeway serve` for a spec. With `keyring: true` (the
// default: the built-in Alertmanager receiver keeps its secret there) it runs
// inside scripts/with-keyring (a private D-Bus session with a throwaway,
// unlocked gnome-keyring) under a keychain service of its own, so connector
// secrets really go to a keychain and never touch the user's.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { test } from "@playwright/test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
export const uiDist = path.join(repo, "ui", "dist");
export const artifacts = path.join(repo, "tests", "artifacts", "playwright");
const LOGIN_LINE = /^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/;
const START_TIMEOUT_MS = 30_000;

export type Server = {
  child: ChildProcess;
  base: string;
  dataDir: string;
  /** The default Alertmanager receiver's bearer secret, printed at the first start. */
  receiverSecret: string;
  /** A new one-time login link (`causeway login`): each opens one session. */
  newLoginUrl: () => string;
  stderr: () => string;
};

/**
 * `prepare` writes into the data folder before the server starts (user
 * descriptors, say) and returns extra environment for it (a `KUBECONFIG`).
 */
export async function startServer({
  keyring = true,
  demo = true,
  prepare,
}: { keyring?: boolean; demo?: boolean; prepare?: (dataDir: string) => void | Record<string, string> } = {}): Promise<Server> {
  const bin = process.env.CAUSEWAY_BIN;
  if (!bin) throw new Error("CAUSEWAY_BIN is not set: point it at the built causeway binary");
  if (!existsSync(bin)) throw new Error(`CAUSEWAY_BIN=${bin} does not exist: build it with cargo first`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "causeway-e2e-"));
  const extraEnv = prepare?.(dataDir) ?? {};
  const serveArgs = ["serve", ...(demo ? ["--demo"] : []), "--data-dir", dataDir, "--listen", "127.0.0.1:0"];
  const [cmd, args] = keyring
    ? [path.join(repo, "scripts", "with-keyring"), [bin, ...serveArgs]]
    : [bin, serveArgs];
  const child = spawn(cmd, args, {
    env: {
      ...process.env,
      // The UI built into the binary, as a user gets it (never a folder).
      CAUSEWAY_UI_DIR: "",
      // Settings saved from the UI go to the test's own folder, never the user's.
      CAUSEWAY_CONFIG_DIR: path.join(dataDir, "config"),
      ...(keyring ? { CAUSEWAY_KEYCHAIN_SERVICE: `causeway-e2e-${process.pid}-${Date.now()}` } : {}),
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: stopping it stops the keyring and D-Bus too.
    detached: true,
  });
  let stderr = "";
  let stdout = "";
  let receiverSecret = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const loginUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const fail = (why: string) => {
      clearTimeout(timer);
      lines.close();
      reject(new Error(`${why}\n--- command ---\n${cmd} ${args.join(" ")}\n--- stdout ---\n${stdout || "(nothing)"}\n--- stderr ---\n${stderr || "(nothing)"}`));
    };
    const timer = setTimeout(() => fail(`causeway serve printed no login URL within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    lines.on("line", (line) => {
      stdout += `${line}\n`;
      const credentials = /^\s*credentials: (\S+)$/.exec(line);
      if (credentials) receiverSecret = credentials[1];
      if (LOGIN_LINE.test(line.trim())) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.on("error", (e) => fail(`could not start ${cmd}: ${e.message}`));
    child.on("exit", (code, signal) => fail(`causeway serve exited early (code ${code}, signal ${signal})`));
  });
  child.stdout!.resume();
  if (!receiverSecret) throw new Error(`causeway serve printed no receiver secret:\n${stdout}\n${stderr}`);
  const newLoginUrl = () => execFileSync(bin, ["login", "--data-dir", dataDir], { encoding: "utf8" }).trim();
  return { child, base: new URL(loginUrl).origin, dataDir, receiverSecret, newLoginUrl, stderr: () => stderr };
}

export async function stopServer(s: Server) {
  const { child } = s;
  if (child.exitCode === null && child.signalCode === null && child.pid) {
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    group("SIGTERM");
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5_000));
    if ((await Promise.race([exited, timeout])) === "timeout") {
      group("SIGKILL");
      await exited;
    }
  }
  rmSync(s.dataDir, { recursive: true, force: true });
}

/**
 * One server for a whole spec file: started before its first test, stopped
 * after its last. Returns the getter its tests use.
 */
export function serverForSpec(options?: Parameters<typeof startServer>[0]): () => Server {
  let server: Server | undefined;
  test.beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    server = await startServer(options);
  });
  test.afterAll(async () => {
    if (server) await stopServer(server);
    server = undefined;
  });
  return () => {
    if (!server) throw new Error("the spec's causeway serve did not start");
    return server;
  };
}
