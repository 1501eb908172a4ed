// End-to-end test of canaryd's dashboard (/ui/ on the admin listener) in headless Chromium.
//
//   node tests/e2e/dashboard.test.mjs        (exit code 0: passed)
//
// Env: CANARYD_BINARY_DIR (default /work/main/build; canaryd and canaryctl are in its bin/),
// E2E_ARTIFACTS (default tests/e2e/artifacts): screenshots and canaryd's logs.
// Needs Debian's chromium (/usr/bin/chromium, scripts/setup.sh) and playwright-core
// (scripts/e2e-deps.sh); no browser is downloaded.
//
// Part 1, live: canaryd runs web-v1 and web-v2 as local processes behind the walkthrough's
// Gateway and VirtualService, traffic flows through the gateway, a Canary (8 steps of 2 s) is
// applied; the page, never reloaded, must show it Progressing with its weight moving, the
// VirtualService's split, the charts, pods, deployments and events; the Abort button must roll
// it back (checked through the API: phase Failed, canaryWeight 0) and the page must show it.
// Part 2, read-only: a canaryd started with --ui-read-only shows no action buttons and refuses
// a write sent from the page (403), while the API still answers a plain client.
// Part 3, token: a canaryd started with --admin-require-token serves the admin listener over
// https (its self-signed certificate; the browser context ignores HTTPS errors). The page's files
// are public but its data is not: it must ask for the token (#token-form) and show no Canary;
// once the token is typed in, the Canary appears and the page is live; Pause from the page must
// reach the API (spec.suspend true); the page must not keep the token in localStorage,
// sessionStorage or cookies; a PATCH without the token gets 401.
import fs from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';

const { CheckError, waitFor, show, sleep } = h;
const OVERALL_LIMIT_MS = 270000; // ctest's TIMEOUT is 300 s
const UI = '/ui/';
const ROW = '#canaries tr[data-canary="default/web"]';
const VS_ROW = '#virtualservices tr[data-vs="default/web-virtualservice"]';
const ACTIONS = ['promote', 'abort', 'pause', 'resume'];

let browser = null;
const results = [];

function expect(cond, what, expected, seen) {
  if (!cond) throw new CheckError(what, expected, typeof seen === 'string' ? seen : show(seen));
}

function screenshotPath(name) {
  return path.join(h.ARTIFACTS, name);
}

async function screenshot(page, name) {
  const file = screenshotPath(name);
  await page.screenshot({ path: file, fullPage: true, timeout: 15000 });
  console.log(`  screenshot ${file}`);
}

async function getBrowser() {
  if (!browser) {
    browser = await h.launchChromium();
    console.log(`  chromium ${browser.version()} (${h.CHROMIUM})`);
  }
  return browser;
}

// A page that records what the browser says went wrong, and accepts confirm() dialogs.
async function newPage(ctx, contextOptions = {}) {
  const b = await getBrowser();
  const context = await b.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  ctx.context = context;
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  ctx.page = page;
  ctx.browserLog = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') ctx.browserLog.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => ctx.browserLog.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => ctx.browserLog.push(`request failed: ${r.method()} ${r.url()}: ${r.failure() && r.failure().errorText}`));
  page.on('dialog', (d) => d.accept().catch(() => {}));
  return page;
}

async function openDashboard(ctx, c) {
  await gotoDashboard(ctx, c);
  await waitForRow(ctx, 15000);
}

async function gotoDashboard(ctx, c) {
  const url = `${c.api}${UI}`;
  const res = await ctx.page.goto(url, { waitUntil: 'load', timeout: 15000 });
  expect(res && res.status() === 200, `GET ${url} in Chromium`, 'status 200 (the dashboard)',
    res ? `status ${res.status()}: ${(await res.text()).slice(0, 300)}` : 'no response');
  // A reload would clear this: the live checks read it back.
  await ctx.page.evaluate(() => { window.__canarydE2eNoReload = true; });
}

async function waitForRow(ctx, timeoutMs) {
  await waitFor(`the Canary row ${ROW} appears`, () => ctx.page.$(ROW), { timeoutMs, expected: 'the row' })
    .catch(async (e) => {
      const snippet = await ctx.page.evaluate(() => {
        const el = document.querySelector('#canaries');
        return el ? el.outerHTML.slice(0, 1500) : 'no #canaries element';
      }).catch((err) => err.message);
      e.message += `\n  #canaries: ${snippet}`;
      throw e;
    });
}

// What the page shows now, read in one go.
function readDashboard(page) {
  return page.evaluate(({ ROW, VS_ROW }) => {
    const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : null);
    const row = document.querySelector(ROW);
    const cell = (c) => (row ? text(row.querySelector(`td.${c}`)) : null);
    const vsRow = document.querySelector(VS_ROW);
    return {
      noReload: window.__canarydE2eNoReload === true,
      row: !!row,
      phase: cell('phase'),
      weight: cell('weight'),
      step: cell('step'),
      failed: cell('failed'),
      vsWeights: vsRow ? text(vsRow.querySelector('td.weights')) : null,
      status: text(document.querySelector('#status')),
    };
  }, { ROW, VS_ROW });
}

// Canary status through the API (what kubectl get canary -o json shows).
async function apiCanary(c) {
  const r = await c.get(h.CANARY_PATH);
  return r.json && r.json.status ? r.json.status : {};
}

async function livePart(ctx) {
  const c = (ctx.canaryd = await h.Canaryd.start('dashboard'));
  c.apply(c.writeManifest('deployments.yaml', h.deploymentsYaml()));
  c.apply(c.writeManifest('services.yaml', h.servicesYaml()));
  c.apply(c.writeManifest('gateway-virtualservice.yaml', h.gatewayVirtualServiceYaml()));
  const pods = await h.waitForPodsReady(c, 30000);
  console.log(`  pods ready: ${pods.map((p) => p.metadata.name).join(', ')}`);
  await waitFor(`the gateway answers GET ${c.site}/ with 200`,
    async () => (await h.httpRequest(`${c.site}/`, { timeoutMs: 2000 })).status === 200,
    { timeoutMs: 30000, expected: 'status 200' });
  ctx.traffic = new h.Traffic(`${c.site}/`, { intervalMs: 25, maxMs: 200000 });

  // The browser is up before the Canary starts: its ~20 s of Progressing are for the page.
  const page = await newPage(ctx);
  c.apply(c.writeManifest('canary.yaml', h.canaryYaml()));
  const applied = Date.now();
  await openDashboard(ctx, c);

  // Live: phase Progressing and at least two distinct non-0% weights, without a reload.
  const timeline = [];
  const weights = new Set();
  const vsSeen = new Set();
  let sawProgressing = false;
  let sawVsSplit = false;
  const liveDeadline = Date.now() + 40000;
  for (;;) {
    const d = await readDashboard(page);
    const key = `${d.phase} | ${d.weight} | step ${d.step} | failed ${d.failed}`;
    if (!timeline.length || timeline[timeline.length - 1].key !== key) {
      timeline.push({ key, t: ((Date.now() - applied) / 1000).toFixed(1) });
    }
    expect(d.noReload, 'the page updates itself (no reload)', 'the page never reloaded',
      'the page was reloaded or navigated away');
    if (d.phase && d.phase.includes('Progressing')) {
      sawProgressing = true;
      if (d.weight && d.weight !== '0%') weights.add(d.weight);
    }
    if (d.vsWeights) {
      vsSeen.add(d.vsWeights);
      const m = /web-v1-service\D*?(\d+)\s*%.*web-v2-service\D*?(\d+)\s*%/.exec(d.vsWeights);
      if (m && Number(m[2]) > 0 && Number(m[1]) + Number(m[2]) === 100) sawVsSplit = true;
    }
    if (sawProgressing && weights.size >= 2 && sawVsSplit) break;
    if (Date.now() >= liveDeadline) {
      const api = await apiCanary(c).catch((e) => ({ error: e.message }));
      throw new CheckError('the dashboard follows the Canary live (40 s, no reload)',
        `phase "Progressing", >= 2 distinct non-0% texts in ${ROW} td.weight, and ${VS_ROW} ` +
        'td.weights like "web-v1-service 80% · web-v2-service 20%"',
        `phase/weight timeline ${show(timeline.map((e) => `${e.t}s: ${e.key}`))}; weights ${show([...weights])}; ` +
        `VirtualService texts ${show([...vsSeen])}; API status now phase ${show(api.phase)} canaryWeight ${show(api.canaryWeight)}`);
    }
    await sleep(150);
  }
  console.log(`  live: weights ${[...weights].join(', ')}; timeline ${timeline.map((e) => `${e.t}s ${e.key}`).join('; ')}`);

  // The rest of the page, while the Canary is progressing.
  const d = await readDashboard(page);
  expect(d.status && /\blive\b/i.test(d.status), '#status while the page receives updates',
    'text containing "live"', d.status);
  for (const id of ['chart-rps', 'chart-success', 'chart-p99']) {
    await waitFor(`a canvas inside #${id} (uPlot)`, () => page.evaluate((id) => {
      const cv = document.querySelector(`#${id} canvas`);
      return !!cv && cv.width > 0 && cv.height > 0;
    }, id), { timeoutMs: 10000, expected: 'a canvas of non-zero size' });
  }
  const podNames = pods.map((p) => p.metadata.name);
  await waitFor(`#pods has a tr[data-pod] row for each pod (${podNames.join(', ')})`, async () => {
    const rows = await page.$$eval('#pods tr[data-pod]', (trs) => trs.map((tr) => `${tr.dataset.pod} ${tr.textContent}`));
    if (podNames.every((n) => rows.some((r) => r.includes(n)))) return true;
    throw new Error(`rows ${show(rows)}`);
  }, { timeoutMs: 10000, expected: 'one row per pod' });
  await waitFor('#deployments has tr[data-deployment] rows for web-v1 and web-v2', async () => {
    const rows = await page.$$eval('#deployments tr[data-deployment]', (trs) => trs.map((tr) => tr.dataset.deployment));
    if (['web-v1', 'web-v2'].every((n) => rows.some((r) => r === n || r.endsWith(`/${n}`)))) return true;
    throw new Error(`rows ${show(rows)}`);
  }, { timeoutMs: 10000, expected: 'rows default/web-v1 and default/web-v2' });
  const buttons = await page.$$eval(`${ROW} button[data-action]`, (bs) => bs.map((b) => b.dataset.action));
  expect(ACTIONS.every((a) => buttons.includes(a)), `the buttons of ${ROW}`,
    `button[data-action] for ${ACTIONS.join(', ')}`, buttons);
  await expectEventShown(c, page, (e) => e.reason === 'Advance' || e.reason === 'Progressing',
    'an Advance or Progressing event of the Canary');
  await screenshot(page, 'dashboard-progressing.png');

  // Abort from the page.
  const before = await apiCanary(c);
  expect(before.phase === 'Progressing', 'the Canary is still progressing when Abort is clicked',
    'phase Progressing (the test was too slow otherwise)', `phase ${show(before.phase)} canaryWeight ${show(before.canaryWeight)}`);
  await page.click(`${ROW} button[data-action="abort"]`, { timeout: 5000 });
  console.log(`  clicked Abort at canary weight ${before.canaryWeight}`);
  let last = {};
  await waitFor('after Abort, the API shows status.phase "Failed" and status.canaryWeight 0', async () => {
    last = await apiCanary(c);
    return last.phase === 'Failed' && last.canaryWeight === 0;
  }, { timeoutMs: 20000, expected: 'phase "Failed", canaryWeight 0' }).catch((e) => {
    e.message += `\n  API status: phase ${show(last.phase)} canaryWeight ${show(last.canaryWeight)} reason ${show(last.reason)} message ${show(last.message)}`;
    throw e;
  });
  let shown = {};
  await waitFor(`after Abort, the page shows phase "Failed" in ${ROW} td.phase`, async () => {
    shown = await readDashboard(page);
    return shown.phase && shown.phase.includes('Failed');
  }, { timeoutMs: 10000, expected: '"Failed"' }).catch((e) => {
    e.message += `\n  page shows: ${show(shown)}`;
    throw e;
  });
  await waitFor(`after Abort, ${ROW} td.weight shows "0%"`, async () => (await readDashboard(page)).weight === '0%',
    { timeoutMs: 10000, expected: '"0%"' });
  await expectEventShown(c, page, (e) => e.reason === 'Aborted', 'the Aborted event of the Canary');
  // The rollback reached the VirtualService, and the page shows it.
  let vsShown = null;
  await waitFor('after Abort, the VirtualService row shows web-v1-service 100% and web-v2-service 0%', async () => {
    vsShown = (await readDashboard(page)).vsWeights;
    return !!vsShown && vsShown.includes('web-v1-service 100%') && vsShown.includes('web-v2-service 0%');
  }, { timeoutMs: 10000, expected: '"web-v1-service 100% · web-v2-service 0%"' }).catch((e) => {
    e.message += `\n  page shows: ${show(vsShown)}`;
    throw e;
  });
  expect((await readDashboard(page)).noReload, 'the page updates itself (no reload)', 'the page never reloaded',
    'the page was reloaded or navigated away');
  await screenshot(page, 'dashboard-aborted.png');
  const counts = await ctx.traffic.stop();
  console.log(`  traffic through the gateway: ${show(counts)}`);
}

// Some event of the Canary that matches is shown: an li of #events contains its reason and message.
async function expectEventShown(c, page, match, what) {
  let wanted = [];
  let items = [];
  const norm = (s) => String(s || '').replace(/\s+/g, ' ').trim();
  await waitFor(`#events shows ${what} (its reason and message in one li)`, async () => {
    const list = await c.getJson('/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb');
    wanted = (list.items || []).filter((e) => e.involvedObject && e.involvedObject.kind === 'Canary' && match(e));
    if (!wanted.length) throw new Error('the API lists no such event yet');
    items = await page.$$eval('#events li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
    return wanted.some((e) => items.some((t) => t.includes(e.reason) && t.includes(norm(e.message))));
  }, { timeoutMs: 10000, expected: 'an li with the reason and message' }).catch((e) => {
    e.message += `\n  such events (API): ${show(wanted.slice(-5).map((w) => `${w.reason}: ${w.message}`))}` +
      `\n  #events li (${items.length}): ${show(items.slice(0, 20))}`;
    throw e;
  });
}

async function readOnlyPart(ctx) {
  const c = (ctx.canaryd = await h.Canaryd.start('read-only', ['--ui-read-only']));
  c.apply(c.writeManifest('services.yaml', h.servicesYaml()));
  c.apply(c.writeManifest('gateway-virtualservice.yaml', h.gatewayVirtualServiceYaml()));
  c.apply(c.writeManifest('canary.yaml', h.canaryYaml()));
  const page = await newPage(ctx);
  await openDashboard(ctx, c);
  const readOnly = () => page.evaluate(() => ({
    bodyClass: document.body.className,
    readOnly: document.body.classList.contains('read-only'),
    buttons: [...document.querySelectorAll('button[data-action]')].map((b) => b.outerHTML.slice(0, 120)),
  }));
  let ro = await readOnly();
  expect(ro.readOnly, 'with --ui-read-only, body has class read-only', 'class "read-only"', `class ${show(ro.bodyClass)}`);
  expect(ro.buttons.length === 0, 'with --ui-read-only, no button[data-action] at all', '0 buttons', ro.buttons);
  await sleep(1500); // a later render must not bring them back
  ro = await readOnly();
  expect(ro.readOnly && ro.buttons.length === 0, 'with --ui-read-only, 1.5 s later',
    'class read-only and 0 button[data-action]', ro);

  const status = await page.evaluate(async (p) => (await fetch(p, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { suspend: true } }),
  })).status, h.CANARY_PATH);
  expect(status === 403, 'with --ui-read-only, a PATCH of the Canary sent from the page', 'status 403', `status ${status}`);

  // A plain client (no Origin header, like kubectl) still reads the API.
  const r = await c.get(h.CANARY_PATH);
  expect(r.status === 200 && r.json && r.json.metadata && r.json.metadata.name === 'web',
    `with --ui-read-only, GET ${h.CANARY_PATH} from a plain client`, 'status 200 with the Canary web',
    `status ${r.status}: ${r.text.slice(0, 300)}`);
  expect(!(r.json.spec && r.json.spec.suspend === true), 'the refused PATCH changed nothing',
    'spec.suspend not true', r.json.spec);
  await screenshot(page, 'dashboard-read-only.png');
}

// The dashboard when the admin API requires its bearer token (https, self-signed certificate).
async function tokenPart(ctx) {
  const c = (ctx.canaryd = await h.Canaryd.start('token', [], { requireToken: true }));
  c.apply(c.writeManifest('services.yaml', h.servicesYaml()));
  c.apply(c.writeManifest('gateway-virtualservice.yaml', h.gatewayVirtualServiceYaml()));
  c.apply(c.writeManifest('canary.yaml', h.canaryYaml()));
  const anon = await c.request(h.CANARY_PATH, { auth: false });
  expect(anon.status === 401, `with --admin-require-token, GET ${h.CANARY_PATH} without a token`, 'status 401',
    `status ${anon.status}: ${anon.text.slice(0, 300)}`);
  const cfg = await c.request(`${UI}config.json`, { auth: false });
  console.log(`  GET ${UI}config.json without a token: status ${cfg.status} ${cfg.text.slice(0, 200)}`);

  // What the page asks of the admin listener, and how it is answered (never the token itself).
  const page = await newPage(ctx, { ignoreHTTPSErrors: true });
  const started = Date.now();
  // { t (ms since the page was opened), path, query, status, auth (an Authorization header sent), api (not /ui/) }
  const exchanges = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.origin !== c.api) return;
    const auth = !!r.request().headers().authorization;
    exchanges.push({ t: Date.now() - started, path: u.pathname, query: u.search, status: r.status(), auth,
      api: !u.pathname.startsWith(UI) });
  });
  await gotoDashboard(ctx, c);

  // The page's own files are public.
  const files = ['app.js', 'style.css', 'uPlot.iife.min.js', 'uPlot.min.css', 'config.json'].map((f) => `${UI}${f}`);
  await waitFor(`the page's files (${files.join(', ')}) were fetched with status 200`, () => {
    const missing = files.filter((f) => !exchanges.some((e) => e.path === f && e.status === 200));
    if (!missing.length) return true;
    throw new Error(`not (yet) answered 200: ${missing.join(', ')}; seen ${show(exchanges.filter((e) => e.path.startsWith(UI)))}`);
  }, { timeoutMs: 10000, expected: 'each fetched with 200' });

  // Without the token: the form is shown, and no data.
  const before = () => page.evaluate((ROW) => ({
    form: !document.querySelector('#token-form').hidden,
    row: !!document.querySelector(ROW),
    canaryRows: document.querySelectorAll('#canaries tbody tr').length,
    status: document.querySelector('#status').textContent.trim(),
  }), ROW);
  await waitFor('without the token, #token-form is shown (the API answered 401, or config.json says tokenRequired)',
    () => page.isVisible('#token-form'), { timeoutMs: 10000, expected: '#token-form visible' });
  const formShownAt = Date.now() - started;
  let b = await before();
  expect(!b.row && b.canaryRows === 0, `without the token, no Canary row (${ROW})`, '0 rows in #canaries', b);
  await sleep(2500); // the page keeps trying; still nothing may show
  b = await before();
  expect(b.form && !b.row && b.canaryRows === 0 && !/\blive\b/i.test(b.status),
    'without the token, 2.5 s later', '#token-form shown, no Canary row, #status not "live"', b);
  const beforeToken = exchanges.slice();
  const refused = beforeToken.filter((e) => e.status === 401);
  const windowMs = Date.now() - started - formShownAt;
  const refusedInWindow = refused.filter((e) => e.t >= formShownAt).length;
  console.log(`  before the token: #status ${show(b.status)}; ${refused.length} answers 401 in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(${(refusedInWindow / (windowMs / 1000)).toFixed(1)}/s once the form was shown), paths ` +
    `${show([...new Set(refused.map((e) => e.path))])}; any sent with an Authorization header: ${beforeToken.some((e) => e.auth)}`);
  expect(!beforeToken.some((e) => e.api && e.status !== 401), 'without the token, what the API answered the page',
    'only 401s (outside /ui/)', beforeToken.filter((e) => e.api && e.status !== 401));

  // The token, typed in.
  await page.fill('#token', c.token);
  const given = Date.now();
  await page.click('#token-save', { timeout: 5000 });
  const givenAt = given - started;
  await waitForRow(ctx, 15000);
  const rowAfterMs = Date.now() - given;
  let state = {};
  await waitFor('after the token, #status shows "live" and #token-form is hidden', async () => {
    state = await page.evaluate(() => ({
      status: document.querySelector('#status').textContent.trim(),
      formHidden: document.querySelector('#token-form').hidden,
    }));
    return /\blive\b/i.test(state.status) && state.formHidden && !(await page.isVisible('#token-form'));
  }, { timeoutMs: Math.max(1000, 15000 - rowAfterMs), expected: '#status "live", #token-form hidden' }).catch((e) => {
    // The page shows the form on any 401, also one answering a request sent before the token.
    const late = exchanges.filter((x) => x.t >= givenAt && x.status === 401);
    e.message += `\n  page shows: ${show(state)}; 401s answered after Use (${late.length}): ${show(late.slice(0, 10))}` +
      `; all answers since: ${show(exchanges.filter((x) => x.t >= givenAt).slice(0, 30))}`;
    throw e;
  });
  const liveAfterMs = Date.now() - given;
  const tokenValue = await page.inputValue('#token');
  expect(tokenValue === '', 'after Use, the #token input', 'empty', `${tokenValue.length} characters left in it`);
  const firstAuthorized = exchanges.filter((e) => e.t >= givenAt && e.auth && e.status === 200);
  console.log(`  after the token: row in ${(rowAfterMs / 1000).toFixed(1)} s, "live" in ${(liveAfterMs / 1000).toFixed(1)} s; ` +
    `first answers 200 with the token: ${show(firstAuthorized.slice(0, 4).map((e) => `+${((e.t - givenAt) / 1000).toFixed(2)}s ${e.path}`))}; ` +
    `watches answered 200 since: ${exchanges.filter((e) => e.t >= givenAt && e.status === 200 && /[?&]watch=true/.test(e.query))
      .map((e) => e.path).join(', ')}`);
  const settled = exchanges.length;

  // Pause from the page, checked through the API with the token.
  await page.click(`${ROW} button[data-action="pause"]`, { timeout: 5000 });
  let spec = {};
  await waitFor('after Pause, the API (with the token) shows spec.suspend true', async () => {
    const r = await c.get(h.CANARY_PATH);
    if (r.status !== 200) throw new Error(`GET ${h.CANARY_PATH}: status ${r.status}: ${r.text.slice(0, 200)}`);
    spec = r.json.spec || {};
    return spec.suspend === true;
  }, { timeoutMs: 10000, expected: 'spec.suspend true' }).catch((e) => {
    e.message += `\n  spec: ${show(spec)}`;
    throw e;
  });
  let result = '';
  await waitFor('after Pause, #action-result mentions "pause"', async () => {
    result = (await page.textContent('#action-result')) || '';
    return /pause/i.test(result) && !/refused/i.test(result);
  }, { timeoutMs: 5000, expected: 'text containing "pause" (not "refused")' }).catch((e) => {
    e.message += `\n  #action-result: ${show(result)}`;
    throw e;
  });
  console.log(`  #action-result: ${show(result)}`);

  // The token is kept in the page's memory only.
  const kept = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie);
  const cookies = await ctx.context.cookies();
  const parts = [];
  for (let i = 0; i + 8 <= c.token.length; i++) parts.push(c.token.slice(i, i + 8));
  const leaks = [['localStorage, sessionStorage, document.cookie', kept],
    ['the context\'s cookies', JSON.stringify(cookies)], ['the page\'s URL', page.url()]]
    .filter(([, text]) => parts.some((p) => text.includes(p))).map(([where]) => where);
  expect(leaks.length === 0, 'the page does not keep the token (no 8 characters of it in its storage, cookies or URL)',
    'none of it', `found in ${leaks.join(', ')}`);
  console.log(`  kept by the page: ${show(kept)} (${kept.length} characters), ${cookies.length} cookies`);

  // Every request of the page sends the token once given: no 401 since it settled.
  const lateRefused = exchanges.slice(settled).filter((e) => e.api && (e.status === 401 || !e.auth));
  expect(lateRefused.length === 0, 'once the token is given, every API request of the page carries it',
    'no 401 and no API request without an Authorization header', lateRefused.slice(0, 10));

  // A write without the token (or with a wrong one) is refused, and changes nothing.
  const unpause = { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { suspend: false } }) };
  const noToken = await c.request(h.CANARY_PATH, { ...unpause, auth: false });
  expect(noToken.status === 401, `PATCH ${h.CANARY_PATH} with no Authorization header`, 'status 401',
    `status ${noToken.status}: ${noToken.text.slice(0, 300)}`);
  const wrong = await c.request(h.CANARY_PATH, { ...unpause, headers: { ...unpause.headers, authorization: 'Bearer not-the-token' } });
  expect(wrong.status === 401, `PATCH ${h.CANARY_PATH} with a wrong bearer token`, 'status 401',
    `status ${wrong.status}: ${wrong.text.slice(0, 300)}`);
  const after = await c.get(h.CANARY_PATH);
  expect(after.status === 200 && after.json.spec && after.json.spec.suspend === true, 'the refused PATCHes changed nothing',
    'spec.suspend still true', `status ${after.status}: ${show(after.json && after.json.spec)}`);
  expect(!c.tail.some((l) => l.includes(c.token)), "canaryd's output does not show the token", 'no line with it',
    'a line with the token');
  await screenshot(page, 'dashboard-token.png');
}

async function part(name, fn) {
  console.log(`# ${name}`);
  const started = Date.now();
  const ctx = {};
  try {
    await fn(ctx);
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(`  FAILED: ${(e && e.message) || e}`);
    if (!(e instanceof CheckError) && e && e.stack) console.log(e.stack.split('\n').slice(1, 6).join('\n'));
    if (ctx.canaryd) {
      console.log(`  canaryd output (last lines; all of it in ${ctx.canaryd.logPath}):\n${ctx.canaryd.tailText(40)}`);
    }
    if (ctx.browserLog && ctx.browserLog.length) {
      console.log(`  browser said:\n${ctx.browserLog.slice(-20).map((l) => `    | ${l}`).join('\n')}`);
    }
    if (ctx.page) {
      const file = `dashboard-failure-${name.replace(/[^a-z0-9]+/gi, '-')}`;
      await screenshot(ctx.page, `${file}.png`).catch(() => {});
      try {
        fs.writeFileSync(screenshotPath(`${file}.html`), await ctx.page.content());
      } catch { /* the page is gone */ }
    }
  } finally {
    if (ctx.traffic) await ctx.traffic.stop();
    if (ctx.context) await h.within(ctx.context.close().catch(() => {}), 10000);
    if (ctx.canaryd) await ctx.canaryd.stop();
  }
}

async function main() {
  fs.mkdirSync(h.ARTIFACTS, { recursive: true });
  console.log(`canaryd dashboard e2e: ${h.CANARYD}; artifacts in ${h.ARTIFACTS}`);
  for (const bin of [h.CANARYD, h.CANARYCTL]) {
    if (!fs.existsSync(bin)) {
      console.log(`FAILED: ${bin} not found (build canaryd first; CANARYD_BINARY_DIR names the build directory)`);
      return 1;
    }
  }
  try {
    await part('live dashboard: a Canary progresses and is aborted from the page', livePart);
    await part('read-only dashboard (--ui-read-only)', readOnlyPart);
    await part('dashboard with the admin token required (--admin-require-token, https)', tokenPart);
  } finally {
    await h.closeBrowser(browser);
    browser = null;
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

// Bounded overall, and no canaryd outlives the test, whatever ends it.
const watchdog = setTimeout(() => {
  console.log(`FAILED: the test did not finish within ${OVERALL_LIMIT_MS / 1000} s`);
  h.killAllNow();
  process.exit(1);
}, OVERALL_LIMIT_MS);
watchdog.unref();
process.on('exit', h.killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`FAILED: ${sig} received`);
    h.killAllNow();
    process.exit(1);
  });
}

main().then((code) => {
  clearTimeout(watchdog);
  process.exitCode = code;
}, (e) => {
  console.log(`FAILED: ${(e && e.stack) || e}`);
  h.killAllNow();
  process.exitCode = 1;
});
