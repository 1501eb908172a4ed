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
async function newPage(ctx) {
  const b = await getBrowser();
  const context = await b.newContext({ viewport: { width: 1280, height: 900 } });
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
  const url = `${c.api}${UI}`;
  const res = await ctx.page.goto(url, { waitUntil: 'load', timeout: 15000 });
  expect(res && res.status() === 200, `GET ${url} in Chromium`, 'status 200 (the dashboard)',
    res ? `status ${res.status()}: ${(await res.text()).slice(0, 300)}` : 'no response');
  // A reload would clear this: the live checks read it back.
  await ctx.page.evaluate(() => { window.__canarydE2eNoReload = true; });
  await waitFor(`the Canary row ${ROW} appears`, () => ctx.page.$(ROW), { timeoutMs: 15000, expected: 'the row' })
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
