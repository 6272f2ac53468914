// Smoke test of the real desktop app: tauri-driver starts the binary through
// WebKitWebDriver (run under Xvfb and a private D-Bus session), and we speak
// plain W3C WebDriver to it. Checks, each a line of the summary:
//   - the window opens on the incidents page with the first-run demo incident;
//   - a second launch hands over to the running app and exits (single instance);
//   - a new critical incident (an Alertmanager webhook to the app's port,
//     with the secret made under Connectors → New secret) shows in the
//     window and raises a native notification (seen on the bus with
//     dbus-monitor);
//   - the setup wizard connects Alertmanager (dry-run test included; the
//     secret goes to the keychain) and monitoring shows it waiting for data;
//   - the window's size is saved and restored at the next start.
// Run it inside scripts/with-keyring (a private D-Bus session with a throwaway
// gnome-keyring) under Xvfb.
// Leaves screenshots in tests/artifacts/desktop/.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = process.env.CAUSEWAY_DESKTOP_BIN;
if (!app || !existsSync(app)) {
  console.error(`CAUSEWAY_DESKTOP_BIN must name the built desktop binary (got ${app})`);
  process.exit(2);
}
if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.error('run under dbus-run-session: notifications and the single-instance lock use the session bus');
  process.exit(2);
}
const artifacts = join(here, '..', 'artifacts', 'desktop');
mkdirSync(artifacts, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'causeway-desktop-'));
const dataDir = join(scratch, 'data');
// The app's own config (window state) and Causeway's settings stay in the
// scratch folder, never the user's.
const appEnv = {
  ...process.env,
  CAUSEWAY_DATA_DIR: dataDir,
  CAUSEWAY_CONFIG_DIR: join(scratch, 'settings'),
  XDG_CONFIG_HOME: join(scratch, 'config'),
  CAUSEWAY_LOG: 'warn',
};
const port = 4444 + Math.floor(Math.random() * 1000);
const driver = spawn('tauri-driver', ['--port', String(port)], { env: appEnv, stdio: ['ignore', 'inherit', 'inherit'] });
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

const KEY = 'element-6066-11e4-a52e-4f735466cecf';
const texts = async (s, css) => {
  const found = await wd('POST', `${s}/elements`, { using: 'css selector', value: css });
  return Promise.all(found.map((r) => wd('GET', `${s}/element/${r[KEY]}/text`)));
};
const find = async (s, css) => (await wd('POST', `${s}/element`, { using: 'css selector', value: css }))[KEY];
const byText = async (s, tag, text) =>
  (await wd('POST', `${s}/element`, { using: 'xpath', value: `//${tag}[normalize-space()='${text}']` }))[KEY];
const click = (s, el) => wd('POST', `${s}/element/${el}/click`, {});
const type = (s, el, text) => wd('POST', `${s}/element/${el}/value`, { text });
const attr = (s, el, name) => wd('GET', `${s}/element/${el}/attribute/${name}`);
const newSession = () => wd('POST', '/session', { capabilities: { alwaysMatch: { 'tauri:options': { application: app } } } });

/** A firing critical alert on a pod no demo signal names, as Alertmanager posts it. */
function criticalAlert() {
  const labels = { alertname: 'KubeNodeNotReady', node: 'desktop-smoke-node', severity: 'critical' };
  const annotations = { summary: 'Node desktop-smoke-node is not ready' };
  return {
    version: '4',
    groupKey: '{}:{alertname="KubeNodeNotReady"}',
    status: 'firing',
    receiver: 'causeway',
    groupLabels: { alertname: 'KubeNodeNotReady' },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.smoke:9093',
    alerts: [{ status: 'firing', labels, annotations, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'desktopsmoke0001' }],
  };
}

const results = [];
async function check(name, fn) {
  try {
    const detail = await fn();
    results.push([name, true]);
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    results.push([name, false]);
    console.error(`FAIL ${name}: ${e.message}`);
  }
}

let session;
let monitor;
try {
  await until('tauri-driver', async () => (await fetch(`${base}/status`)).ok, 20000);
  session = (await newSession()).sessionId;
  let s = `/session/${session}`;

  await check('the window opens on the demo incident', async () => {
    const title = await wd('GET', `${s}/title`);
    const rows = await until('the demo incident', async () => (await texts(s, '[data-testid="incident-row"]')).find((t) => t.includes('redis-cart')));
    const insight = await until('the insight line', async () => (await texts(s, '[data-testid="insight"]')).find((t) => t.includes('Root cause')));
    writeFileSync(join(artifacts, 'incidents.png'), Buffer.from(await wd('GET', `${s}/screenshot`), 'base64'));
    return `window "${title}"; ${rows.split('\n')[0]}; ${insight}`;
  });

  await check('a second launch hands over and exits', async () => {
    const second = spawn(app, [], { env: appEnv, stdio: 'ignore' });
    const code = await Promise.race([
      new Promise((r) => second.on('exit', (c) => r(c))),
      sleep(20000).then(() => 'still running'),
    ]);
    if (code === 'still running') {
      second.kill('SIGKILL');
      throw new Error('the second instance kept running');
    }
    if (code !== 0) throw new Error(`the second instance exited with ${code}`);
    await wd('GET', `${s}/title`); // the first one still answers
    return 'exit code 0, the first window still answers';
  });

  await check('a new critical incident shows and is notified', async () => {
    let seen = '';
    monitor = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ['ignore', 'pipe', 'inherit'] });
    monitor.stdout.on('data', (d) => (seen += d.toString()));
    await sleep(500);
    // The built-in receiver verifies a bearer secret; the desktop makes
    // one on demand (Connectors → New secret), shown once.
    await wd('POST', `${s}/execute/sync`, { script: 'location.hash = arguments[0]', args: ['#/connectors'] });
    const receiver = '[data-instance-id="default-alertmanager"]';
    await click(s, await until('the default receiver', () => find(s, `${receiver} [data-testid="new-secret"]`), 20000));
    const secret = await until('its new secret', async () => wd('GET', `${s}/element/${await find(s, `${receiver} [data-testid="new-secret-value"]`)}/property/value`), 20000);
    await wd('POST', `${s}/execute/sync`, { script: 'location.hash = arguments[0]', args: ['#/incidents'] });
    const addr = readFileSync(join(dataDir, 'serve.addr'), 'utf8').trim();
    const res = await fetch(`http://${addr}/webhooks/alertmanager/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify(criticalAlert()),
    });
    if (res.status !== 202) throw new Error(`the webhook answered ${res.status}: ${await res.text()}`);
    const row = await until('the new incident in the window', async () => (await texts(s, '[data-testid="incident-row"]')).find((t) => t.includes('desktop-smoke-node')), 30000);
    await until('a Notify call on the session bus', async () => seen.includes('Critical incident') && seen.includes('desktop-smoke-node'), 20000);
    const open = (await texts(s, '[data-testid="open-count"]'))[0];
    writeFileSync(join(artifacts, 'new-incident.png'), Buffer.from(await wd('GET', `${s}/screenshot`), 'base64'));
    return `${row.split('\n')[0]}; notified; header says "${open}"`;
  });

  await check('the wizard connects Alertmanager and monitoring shows it', async () => {
    await wd('POST', `${s}/execute/sync`, { script: 'location.hash = arguments[0]', args: ['#/connectors/new/alertmanager'] });
    const name = await until('the wizard', () => find(s, '[data-testid="instance-name"]'), 20000);
    await type(s, name, 'Desktop Alertmanager');
    await click(s, await find(s, '[data-testid="generate-secret"]'));
    await click(s, await byText(s, 'button', 'Next'));
    await click(s, await byText(s, 'button', 'Next'));
    await click(s, await find(s, '[data-testid="test-connection"]'));
    await until('the dry run', async () => (await attr(s, await find(s, '[data-testid="dry-run"]'), 'data-ok')) === 'true', 20000);
    await click(s, await byText(s, 'button', 'Next'));
    await click(s, await byText(s, 'button', 'Connect'));
    const url = await until('the webhook URL', async () => wd('GET', `${s}/element/${await find(s, '[data-testid="webhook-url"]')}/property/value`), 20000);
    const addr = readFileSync(join(dataDir, 'serve.addr'), 'utf8').trim();
    if (url !== `http://${addr}/webhooks/alertmanager/default`) throw new Error(`webhook URL ${url}, the app listens on ${addr}`);
    const secret = await wd('GET', `${s}/element/${await find(s, '[data-testid="webhook-secret-copy"]')}/property/value`);
    if (!/^[0-9a-f]{64}$/.test(secret)) throw new Error('no generated secret to copy');
    writeFileSync(join(artifacts, 'wizard-done.png'), Buffer.from(await wd('GET', `${s}/screenshot`), 'base64'));
    await click(s, await byText(s, 'button', 'Go to monitoring'));
    const state = await until('the new instance in monitoring', async () => {
      const rows = await texts(s, '[data-testid="instance"]');
      const mine = rows.find((t) => t.includes('Desktop Alertmanager'));
      return mine && mine.includes('Waiting for data') ? 'Waiting for data' : null;
    }, 20000);
    return `${url}; ${state}`;
  });

  await check('the window size is remembered', async () => {
    await wd('POST', `${s}/window/rect`, { width: 1111, height: 777 });
    const stateFile = join(appEnv.XDG_CONFIG_HOME, 'dev.causeway.workbench', '.window-state.json');
    await until('the saved window state', async () => existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes('1111'), 15000);
    await wd('DELETE', s);
    session = (await newSession()).sessionId;
    s = `/session/${session}`;
    // The window opens at its default size and the saved one is applied
    // right after: read until it is, or until the wait runs out.
    let rect = await until('the window', () => wd('GET', `${s}/window/rect`));
    const restored = (r) => r.width === 1111 && r.height === 777;
    await until('the saved size', async () => restored((rect = await wd('GET', `${s}/window/rect`))), 10000).catch(() => {});
    if (!restored(rect)) throw new Error(`reopened at ${rect.width}x${rect.height}, saved 1111x777`);
    return `reopened at ${rect.width}x${rect.height}`;
  });
} catch (e) {
  results.push(['desktop session', false]);
  console.error(`desktop smoke failed: ${e.message}`);
} finally {
  monitor?.kill('SIGTERM');
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver.kill('SIGTERM');
}
const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`desktop smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
