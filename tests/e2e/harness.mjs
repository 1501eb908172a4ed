// Helpers of the end-to-end browser test (dashboard.test.mjs): free loopback ports, a canaryd
// child process that is always stopped (SIGTERM, then SIGKILL), canaryctl apply, the resource
// API (plain http, or https with the bearer token when canaryd requires one), the walkthrough's
// manifests, steady traffic through the gateway, headless Debian chromium through
// playwright-core. Every wait and loop here is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BINARY_DIR = process.env.CANARYD_BINARY_DIR || '/work/main/build';
export const ARTIFACTS = path.resolve(process.env.E2E_ARTIFACTS || path.join(HERE, 'artifacts'));
export const CHROMIUM = '/usr/bin/chromium';
export const CANARYD = path.join(BINARY_DIR, 'bin', 'canaryd');
export const CANARYCTL = path.join(BINARY_DIR, 'bin', 'canaryctl');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The promise's value, or TIMED_OUT after ms; the timer is cleared either way, so a bound that
// was not needed does not keep the process alive.
export const TIMED_OUT = Symbol('timed out');
export async function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// A failed check: what was expected and what was seen. The test adds canaryd's output tail.
export class CheckError extends Error {
  constructor(what, expected, seen) {
    super(`${what}\n  expected: ${expected}\n  seen:     ${seen}`);
    this.name = 'CheckError';
  }
}

export function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 2000 ? `${s.slice(0, 2000)}...` : s;
  } catch {
    return String(value);
  }
}

// Calls fn every intervalMs until it returns a truthy value (returned) or timeoutMs passes
// (throws a CheckError with the last value or error seen). An error with .fatal ends it at once.
export async function waitFor(what, fn, { timeoutMs, intervalMs = 200, expected = 'true' }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = `last value ${show(v)}`;
    } catch (e) {
      if (e && e.fatal) throw e; // waiting longer cannot help
      last = `last error ${e && e.message ? e.message : e}`;
    }
    if (Date.now() >= deadline) {
      throw new CheckError(`timed out after ${timeoutMs / 1000} s: ${what}`, expected, last);
    }
    await sleep(intervalMs);
  }
}

// Two (or n) distinct free loopback ports: listen on port 0, read the port, close.
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// fetch with a bound on the whole exchange.
export async function httpRequest(url, { method = 'GET', headers, body, timeoutMs = 5000 } = {}) {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, text, json: parseJson(text) };
}

// An https exchange that trusts only the PEM certificate ca (Node's fetch takes no CA), bounded
// like httpRequest; one connection per request (agent: false), so none is left open.
export function httpsRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 5000, ca } = {}) {
  return new Promise((resolve, reject) => {
    const hdrs = { ...headers };
    if (body !== undefined) hdrs['content-length'] = Buffer.byteLength(body);
    const req = https.request(url, { method, headers: hdrs, ca, agent: false, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode, text, json: parseJson(text) });
        });
      });
    req.on('error', reject);
    req.end(body);
  });
}

// Every canaryd started and not yet stopped: the exit paths stop them.
const running = new Set();

// A canaryd child process on free loopback ports with its own temporary directory.
// With { requireToken: true }, canaryd requires a bearer token (a random one, in a file of the
// temporary directory) and serves https on the admin listener with the self-signed certificate
// it keeps in its data directory; request(), get(), apply() and the readiness check then use
// https trusting that certificate, and send the token unless told not to (auth: false).
export class Canaryd {
  constructor(name, { requireToken = false } = {}) {
    this.name = name;
    this.tail = [];
    this.exited = null;
    this.requireToken = requireToken;
    this.token = null;
  }

  static async start(name, extraArgs = [], options = {}) {
    const c = new Canaryd(name, options);
    try {
      await c.#start(extraArgs);
    } catch (e) {
      await c.stop();
      e.message += `\n  canaryd ${c.args ? c.args.join(' ') : ''}\n  canaryd output (last lines):\n${c.tailText()}`;
      throw e;
    }
    return c;
  }

  get api() {
    return `${this.requireToken ? 'https' : 'http'}://127.0.0.1:${this.adminPort}`;
  }
  get site() {
    return `http://127.0.0.1:${this.sitePort}`;
  }

  async #start(extraArgs) {
    if (!fs.existsSync(CANARYD)) {
      throw new CheckError('canaryd binary', `an executable at ${CANARYD} (build first; ` +
        'CANARYD_BINARY_DIR names the build directory)', 'no such file');
    }
    [this.adminPort, this.sitePort] = await freePorts(2);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `canaryd-e2e-${this.name}-`));
    this.dataDir = path.join(this.dir, 'data');
    // --listen-host keeps the gateway on loopback, as tests/integration's canaryd does.
    this.args = ['--admin', `127.0.0.1:${this.adminPort}`, '--data-dir', this.dataDir,
      '--listen-host', '127.0.0.1', '--port-map', `80=${this.sitePort}`, '--drain-timeout', '1s',
      ...extraArgs];
    if (this.requireToken) {
      // Only the file's path is on the command line and in the logs, never the token.
      this.token = crypto.randomBytes(24).toString('base64url');
      this.tokenFile = path.join(this.dir, 'admin-token');
      fs.writeFileSync(this.tokenFile, `${this.token}\n`, { mode: 0o600 });
      this.caFile = path.join(this.dataDir, 'admin-tls.crt'); // made by canaryd at start
      this.args.push('--admin-require-token', '--admin-token-file', this.tokenFile);
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    this.logPath = path.join(ARTIFACTS, `canaryd-${this.name}.log`);
    this.log = fs.createWriteStream(this.logPath);
    this.log.write(`$ ${CANARYD} ${this.args.join(' ')}\n`);
    this.child = spawn(CANARYD, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    const onData = (chunk) => {
      this.log.write(chunk);
      for (const line of chunk.toString().split('\n')) if (line) this.tail.push(line);
      if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
      this.child.once('error', (e) => {
        this.exited = { code: null, signal: null, error: e.message };
        resolve(this.exited);
      });
    });
    console.log(`[${this.name}] canaryd pid ${this.child.pid}: admin ${this.api}, gateway port 80 -> ${this.sitePort}, dir ${this.dir}` +
      (this.requireToken ? `; bearer token in ${this.tokenFile}, admin certificate ${this.caFile}` : ''));
    // /readyz is public: no token, even when one is required.
    await waitFor(`canaryd (${this.name}) answers GET ${this.api}/readyz with 200`, async () => {
      if (this.exited) {
        throw Object.assign(new CheckError(`canaryd (${this.name}) exited before GET /readyz answered 200`,
          'canaryd running', `exit ${show(this.exited)}`), { fatal: true });
      }
      return (await this.request('/readyz', { auth: false, timeoutMs: 2000 })).status === 200;
    }, { timeoutMs: 30000, intervalMs: 100, expected: 'status 200' });
  }

  // An exchange with the admin API: http, or https trusting canaryd's certificate with the
  // bearer token (auth: false leaves the Authorization header out; headers may set another).
  async request(apiPath, { method = 'GET', headers = {}, body, timeoutMs = 5000, auth = true } = {}) {
    const url = `${this.api}${apiPath}`;
    if (!this.requireToken) return httpRequest(url, { method, headers, body, timeoutMs });
    if (!fs.existsSync(this.caFile)) throw new Error(`no admin TLS certificate at ${this.caFile} yet`);
    const hdrs = auth ? { authorization: `Bearer ${this.token}`, ...headers } : headers;
    return httpsRequest(url, { method, headers: hdrs, body, timeoutMs, ca: fs.readFileSync(this.caFile) });
  }

  // canaryd's output, last lines.
  tailText(lines = 40) {
    return this.tail.slice(-lines).map((l) => `    | ${l}`).join('\n');
  }

  writeManifest(name, yaml) {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, yaml);
    return file;
  }

  // canaryctl --server URL apply -f FILE, as kubectl apply would (bounded: 30 s); with a token
  // required: canaryctl --server https://... --token-file F --certificate-authority CRT apply -f FILE.
  apply(file) {
    const tls = this.requireToken ? ['--token-file', this.tokenFile, '--certificate-authority', this.caFile] : [];
    const argv = ['--server', this.api, ...tls, 'apply', '-f', file];
    const r = spawnSync(CANARYCTL, argv, { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' });
    const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
    if (r.error || r.status !== 0) {
      throw new CheckError(`canaryctl ${argv.join(' ')}`, 'exit code 0',
        `${r.error ? r.error.message : `exit code ${r.status}, signal ${r.signal}`}: ${out}`);
    }
    console.log(`[${this.name}] applied ${path.basename(file)}: ${out.replace(/\n/g, '; ')}`);
    return out;
  }

  async get(apiPath) {
    return this.request(apiPath);
  }

  async getJson(apiPath) {
    const r = await this.get(apiPath);
    if (r.status !== 200 || r.json === undefined) {
      throw new Error(`GET ${apiPath}: status ${r.status}: ${r.text.slice(0, 300)}`);
    }
    return r.json;
  }

  // SIGTERM, then SIGKILL after 15 s; then removes the temporary directory. Idempotent.
  async stop() {
    if (!this.child) return;
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const t = await within(this.exitPromise, 15000);
      if (t === TIMED_OUT && !this.exited) {
        console.log(`[${this.name}] canaryd pid ${this.child.pid} still running 15 s after SIGTERM: SIGKILL`);
        this.child.kill('SIGKILL');
        await within(this.exitPromise, 5000);
      }
    }
    running.delete(this);
    console.log(`[${this.name}] canaryd stopped: ${show(this.exited)}`);
    await new Promise((resolve) => this.log.end(resolve));
    if (this.dir) {
      try {
        fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (e) {
        console.log(`[${this.name}] could not remove ${this.dir}: ${e.message}`);
      }
    }
  }
}

// Last resort on exit (a signal, the overall time limit): no canaryd outlives the test (its pods
// die with it: PR_SET_PDEATHSIG), and its temporary directory goes too. Synchronous.
export function killAllNow() {
  for (const c of running) {
    try {
      if (!c.exited) c.child.kill('SIGKILL');
    } catch { /* already gone */ }
    try {
      if (c.dir) fs.rmSync(c.dir, { recursive: true, force: true });
    } catch { /* best effort */ }
  }
  running.clear();
}

export async function stopAll() {
  await Promise.all([...running].map((c) => c.stop()));
}

// GET / through the gateway every intervalMs until stopped or maxMs passes.
export class Traffic {
  constructor(url, { intervalMs = 25, maxMs = 240000 } = {}) {
    this.url = url;
    this.counts = { ok: 0, failed: 0, byStatus: {} };
    this.stopped = false;
    const deadline = Date.now() + maxMs;
    this.done = (async () => {
      while (!this.stopped && Date.now() < deadline) {
        const started = Date.now();
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          this.counts.byStatus[res.status] = (this.counts.byStatus[res.status] || 0) + 1;
          if (res.status === 200) this.counts.ok++;
          else this.counts.failed++;
        } catch (e) {
          this.counts.failed++;
          const k = e && e.name ? e.name : 'error';
          this.counts.byStatus[k] = (this.counts.byStatus[k] || 0) + 1;
        }
        await sleep(Math.max(0, intervalMs - (Date.now() - started)));
      }
    })();
  }

  async stop() {
    this.stopped = true;
    await within(this.done, 5000);
    return this.counts;
  }
}

// The walkthrough's manifests, with Deployments that canaryd runs as local processes.
export function deploymentsYaml() {
  return ['v1', 'v2'].map((v) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${v}
  labels: {app: web, version: ${v}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web, version: ${v}}
  template:
    metadata:
      labels: {app: web, version: ${v}}
    spec:
      containers:
      - name: web-${v}
        image: gardnera/canarytester:${v}
        ports:
        - containerPort: 80
`).join('---\n');
}

export function servicesYaml() {
  return ['v1', 'v2'].map((v) => `apiVersion: v1
kind: Service
metadata:
  name: web-${v}-service
spec:
  ports:
  - name: "80"
    port: 80
  selector:
    app: web
    version: ${v}
`).join('---\n');
}

export function gatewayVirtualServiceYaml() {
  return `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: web-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: web-virtualservice
spec:
  hosts:
  - "*"
  gateways:
  - web-gateway
  http:
  - match:
    - uri:
        exact: /
    route:
    - destination:
        host: web-v1-service
        port:
          number: 80
`;
}

// 8 steps of 2 s: Progressing for about 20 s.
export function canaryYaml() {
  return `apiVersion: canaryd.io/v1alpha1
kind: Canary
metadata:
  name: web
spec:
  virtualService: web-virtualservice
  stable:
    host: web-v1-service
  canary:
    host: web-v2-service
  analysis:
    interval: 2s
    threshold: 2
    stepWeights: [10, 20, 30, 40, 50, 60, 70, 80]
    minRequests: 5
    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
`;
}

export const CANARY_PATH = '/apis/canaryd.io/v1alpha1/namespaces/default/canaries/web';
export const PODS_PATH = '/api/v1/namespaces/default/pods';

// Both pods listed and their (only) container ready.
export async function waitForPodsReady(c, timeoutMs = 30000) {
  return waitFor('2 pods in default, each with status.containerStatuses[0].ready == true', async () => {
    const list = await c.getJson(PODS_PATH);
    const items = list.items || [];
    const ready = items.filter((p) => p.status && p.status.containerStatuses &&
      p.status.containerStatuses[0] && p.status.containerStatuses[0].ready === true);
    if (items.length === 2 && ready.length === 2) return items;
    throw new Error(`${items.length} pods (${items.map((p) =>
      `${p.metadata.name}: phase ${show(p.status && p.status.phase)}`).join(', ')}), ${ready.length} ready`);
  }, { timeoutMs, intervalMs: 250, expected: '2 pods, both ready' });
}

// playwright-core, loaded late so that a missing install says what to run.
export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new CheckError('Chromium', `${CHROMIUM} (Debian's chromium package: run scripts/setup.sh)`, 'no such file');
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new CheckError('playwright-core', 'tests/e2e/node_modules/playwright-core (run scripts/e2e-deps.sh)',
      e.message);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export async function closeBrowser(browser) {
  if (!browser) return;
  await within(browser.close().catch(() => {}), 15000);
}
