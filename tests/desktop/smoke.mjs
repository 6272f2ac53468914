// Smoke test of the real desktop app: tauri-driver starts the binary through
// WebKitWebDriver (run under Xvfb), and we speak plain W3C WebDriver to it.
// Asserts the window opens on the incidents page and shows the demo incident
// (the app loads it on first run with an empty database). Leaves a screenshot
// in tests/artifacts/desktop/.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = process.env.CAUSEWAY_DESKTOP_BIN;
if (!app || !existsSync(app)) {
  console.error(`CAUSEWAY_DESKTOP_BIN must name the built desktop binary (got ${app})`);
  process.exit(2);
}
const artifacts = join(here, '..', 'artifacts', 'desktop');
mkdirSync(artifacts, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'causeway-desktop-'));
const port = 4444 + Math.floor(Math.random() * 1000);
const driver = spawn('tauri-driver', ['--port', String(port)], {
  env: { ...process.env, CAUSEWAY_DATA_DIR: dataDir, CAUSEWAY_LOG: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function wd(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.value;
}

async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(300);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

let session;
let failed = false;
try {
  await until('tauri-driver', async () => (await fetch(`${base}/status`)).ok, 20000);
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: app } } },
  });
  session = created.sessionId;
  const s = `/session/${session}`;
  const title = await wd('GET', `${s}/title`);
  const rows = await until('incident rows', async () => {
    const found = await wd('POST', `${s}/elements`, { using: 'css selector', value: '[data-testid="incident-row"]' });
    return found.length > 0 ? found : null;
  });
  const key = Object.keys(rows[0]).find((k) => k.startsWith('element-'));
  const text = await until('the demo incident', async () => {
    const first = await wd('POST', `${s}/elements`, { using: 'css selector', value: '[data-testid="incident-row"]' });
    const all = await Promise.all(first.map((r) => wd('GET', `${s}/element/${r[key]}/text`)));
    return all.find((t) => t.includes('redis-cart'));
  });
  const insight = await until('the insight line', async () => {
    const el = await wd('POST', `${s}/element`, { using: 'css selector', value: '[data-testid="insight"]' });
    const t = await wd('GET', `${s}/element/${el[key]}/text`);
    return t.includes('Root cause') ? t : null;
  });
  const png = await wd('GET', `${s}/screenshot`);
  writeFileSync(join(artifacts, 'incidents.png'), Buffer.from(png, 'base64'));
  console.log(`window "${title}": ${rows.length} incident rows; demo incident: ${text.split('\n')[0]}`);
  console.log(`insight: ${insight}`);
  console.log('desktop smoke: 1 passed, 0 failed');
} catch (e) {
  failed = true;
  console.error(`desktop smoke failed: ${e.message}`);
  console.log('desktop smoke: 0 passed, 1 failed');
} finally {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver.kill('SIGTERM');
}
process.exit(failed ? 1 : 0);
