// canaryd's dashboard: the resource API's watches (Canaries and their Events) and a once-a-second
// poll of the statistics and the other lists, drawn into the page without reloading. Writes
// (promote, abort, pause, resume) are the same merge patches canaryctl sends; the admin token,
// when the API asks for one, is kept in this variable only.
'use strict';

let token = '';
let config = { readOnly: false };
const canaries = new Map();  // "ns/name" -> Canary
const events = new Map();    // uid -> Event
const history = { t: [], series: new Map() };  // series key -> {rps: [], success: [], p99: []}
const charts = {};
let chartKeys = '';
let watchesUp = 0;
let pollOk = false;

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function headers(extra = {}) {
  const h = { accept: 'application/json', ...extra };
  if (token) h.authorization = 'Bearer ' + token;
  return h;
}

async function api(path, options = {}) {
  const sentWith = token;
  const r = await fetch(path, { ...options, headers: headers(options.headers) });
  if (r.status === 401) {
    // Only a refusal of the current token asks again: a request sent before the token was given
    // may still come back refused.
    if (sentWith === token) $('#token-form').hidden = false;
    throw new Error('the admin API needs its token');
  }
  return r;
}

async function getJson(path) {
  const r = await api(path);
  if (!r.ok) throw new Error(path + ': ' + r.status);
  return r.json();
}

function showStatus() {
  const live = pollOk && watchesUp === 2;
  const s = $('#status');
  s.textContent = live ? 'live' : 'reconnecting';
  s.classList.toggle('live', live);
}

// List, then watch from the list's resourceVersion; on any end, list again after a second.
async function watchKind(path, store, render) {
  for (;;) {
    let up = false;
    try {
      const list = await getJson(path);
      store.clear();
      for (const o of list.items || []) store.set(keyOf(o), o);
      render();
      const rv = list.metadata.resourceVersion;
      const r = await api(path + '?watch=true&allowWatchBookmarks=true&resourceVersion=' + rv);
      if (!r.ok || !r.body) throw new Error('watch ' + path + ': ' + r.status);
      watchesUp++;
      up = true;
      showStatus();
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line);
          if (ev.type === 'ERROR') throw new Error('watch ' + path + ': ' + (ev.object || {}).message);
          if (ev.type === 'BOOKMARK') continue;
          if (ev.type === 'DELETED') store.delete(keyOf(ev.object));
          else store.set(keyOf(ev.object), ev.object);
          render();
        }
      }
    } catch (e) {
      $('#status').title = String(e.message || e);
    }
    if (up) watchesUp--;
    showStatus();
    await new Promise((res) => setTimeout(res, 1000));
  }
}

function keyOf(o) {
  return (o.metadata.namespace || '') + '/' + o.metadata.name;
}

function fillTable(selector, rows) {
  const body = $(selector + ' tbody');
  body.replaceChildren(...rows);
}

function evidence(c) {
  const s = c.status || {};
  const parts = [];
  const tests = (s.sequential || {}).tests || [];
  if (tests.length) {
    const e = Math.max(...tests.map((t) => t.eValue || 0));
    const alpha = ((c.spec.analysis || {}).sequential || {}).alpha || 0.01;
    parts.push('sequential e=' + e.toPrecision(2) + ' (rollback at ' + Math.round(tests.length / alpha) + ')');
  }
  for (const chk of ((s.lastAnalysis || {}).checks || [])) {
    parts.push(chk.name + ' ' + chk.result + (chk.canary == null ? '' : ' ' + (+chk.canary).toPrecision(4)));
  }
  return parts.join('; ');
}

async function act(c, action) {
  const path = '/apis/canaryd.io/v1alpha1/namespaces/' + c.metadata.namespace + '/canaries/' + c.metadata.name;
  const patch = action === 'pause' ? { spec: { suspend: true } }
    : action === 'resume' ? { spec: { suspend: false } }
    : { metadata: { annotations: { ['canaryd.io/' + action]: 'true' } } };
  const out = $('#action-result');
  try {
    const r = await api(path, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify(patch),
    });
    const body = await r.json().catch(() => ({}));
    out.textContent = r.ok ? action + ' ' + keyOf(c) + ': requested' : action + ' refused (' + r.status + '): ' + (body.message || '');
  } catch (e) {
    out.textContent = action + ': ' + e.message;
  }
}

function renderCanaries() {
  const rows = [];
  for (const [key, c] of [...canaries].sort()) {
    const s = c.status || {};
    const weights = s.stepWeights || [];
    const step = s.step >= 0 && weights.length ? (s.step + 1) + '/' + weights.length : '';
    const threshold = (c.spec.analysis || {}).threshold;
    const actions = el('td', { class: 'actions' });
    if (!config.readOnly) {
      for (const a of ['promote', 'abort', 'pause', 'resume']) {
        const b = el('button', { 'data-action': a, type: 'button' }, a);
        b.addEventListener('click', () => act(c, a));
        actions.append(b);
      }
    }
    rows.push(el('tr', { 'data-canary': key, class: s.phase || '' },
      el('td', {}, key), el('td', { class: 'phase' }, (s.phase || 'Pending') + (c.spec.suspend ? ' (paused)' : '')), el('td', { class: 'step' }, step),
      el('td', { class: 'weight' }, (s.canaryWeight || 0) + '%'),
      el('td', { class: 'failed' }, (s.failedChecks || 0) + '/' + (threshold == null ? '' : threshold)),
      el('td', { class: 'evidence' }, evidence(c)), actions));
  }
  fillTable('#canaries', rows);
  const details = [];
  for (const [key, c] of canaries) {
    const s = c.status || {};
    if (s.message) details.push(el('p', {}, el('strong', {}, key + ': '), (s.reason ? s.reason + ': ' : '') + s.message));
  }
  $('#analysis').replaceChildren(...details);
}

function renderEvents() {
  const list = [...events.values()]
    .filter((e) => (e.involvedObject || {}).kind === 'Canary')
    .sort((a, b) => (b.lastTimestamp || b.eventTime || '').localeCompare(a.lastTimestamp || a.eventTime || ''))
    .slice(0, 200);
  $('#events').replaceChildren(...list.map((e) => el('li', { class: e.type || '' },
    el('time', {}, (e.lastTimestamp || e.eventTime || '').replace('T', ' ').replace('Z', '')),
    (e.involvedObject || {}).name + ': ' + e.reason + ': ' + e.message)));
}

function routeWeights(vs) {
  const out = [];
  for (const route of (vs.spec.http || [])) {
    const dests = route.route || [];
    out.push(dests.map((d) => {
      const w = d.weight == null ? (dests.length === 1 ? 100 : 0) : d.weight;
      return d.destination.host + (d.destination.subset ? ' (' + d.destination.subset + ')' : '') + ' ' + w + '%';
    }).join(' · '));
  }
  return out.join(' | ');
}

function recordStats(stats) {
  const now = Date.now() / 1000;
  history.t.push(now);
  const seen = new Set();
  for (const d of stats.destinations || []) {
    const key = d.serviceName + (d.version ? ' ' + d.version : '');
    seen.add(key);
    if (!history.series.has(key)) {
      history.series.set(key, { rps: history.t.slice(1).map(() => null), success: history.t.slice(1).map(() => null), p99: history.t.slice(1).map(() => null) });
    }
    const s = history.series.get(key);
    s.rps.push(d.requestsPerSecond);
    s.success.push(d.successRate == null ? null : d.successRate * 100);
    s.p99.push(((d.latencyMs || {}).p99) ?? null);
  }
  for (const [key, s] of history.series) {
    if (!seen.has(key)) { s.rps.push(null); s.success.push(null); s.p99.push(null); }
  }
  const keep = 300;
  if (history.t.length > keep) {
    history.t.splice(0, history.t.length - keep);
    for (const s of history.series.values()) for (const k of ['rps', 'success', 'p99']) s[k].splice(0, s[k].length - keep);
  }
  drawCharts();
}

function drawCharts() {
  const keys = [...history.series.keys()].sort();
  if (!keys.length) return;  // nothing served yet: no axes of made-up times
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  for (const [id, field] of [['chart-rps', 'rps'], ['chart-success', 'success'], ['chart-p99', 'p99']]) {
    const data = [history.t, ...keys.map((k) => history.series.get(k)[field])];
    if (chartKeys !== keys.join('|') || !charts[id]) {
      if (charts[id]) charts[id].destroy();
      const target = document.getElementById(id);
      charts[id] = new uPlot({
        width: Math.max(320, target.clientWidth || 520), height: 160,
        series: [{}, ...keys.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 2, spanGaps: false }))],
        axes: [{}, { size: 50 }],
        scales: field === 'success' ? { y: { range: [0, 100] } } : {},
      }, data, target);
    } else {
      charts[id].setData(data);
    }
  }
  chartKeys = keys.join('|');
}

async function pollOnce() {
  const stats = await getJson('/stats/destinations?window=5s');
  recordStats(stats);
  const vss = await getJson('/apis/networking.istio.io/v1/virtualservices');
  fillTable('#virtualservices', (vss.items || []).map((vs) => el('tr', { 'data-vs': keyOf(vs) },
    el('td', {}, keyOf(vs)), el('td', {}, (vs.spec.hosts || []).join(', ')),
    el('td', {}, (vs.spec.gateways || []).join(', ')), el('td', { class: 'weights' }, routeWeights(vs)))));
  const gws = await getJson('/apis/networking.istio.io/v1/gateways');
  fillTable('#gateways', (gws.items || []).map((g) => el('tr', { 'data-gateway': keyOf(g) },
    el('td', {}, keyOf(g)),
    el('td', {}, (g.spec.servers || []).map((s) => s.port.number + '/' + s.port.protocol + ' ' + (s.hosts || []).join(',')).join('; ')))));
  const cfg = await getJson('/stats/config');
  fillTable('#listeners', (cfg.listeners || []).map((l) => el('tr', {},
    el('td', {}, l.gatewayPort), el('td', {}, l.address), el('td', {}, l.up ? 'listening' : 'down: ' + l.error))));
  const deps = await getJson('/apis/apps/v1/deployments');
  fillTable('#deployments', (deps.items || []).map((d) => el('tr', { 'data-deployment': keyOf(d) },
    el('td', {}, keyOf(d)), el('td', {}, ((d.status || {}).readyReplicas || 0) + '/' + (d.spec.replicas ?? 1)),
    el('td', {}, (d.status || {}).updatedReplicas || 0),
    el('td', {}, ((d.spec.template.spec.containers || [])[0] || {}).image || ''))));
  const pods = await getJson('/api/v1/pods');
  fillTable('#pods', (pods.items || []).map((p) => {
    const cs = (p.status || {}).containerStatuses || [];
    const ready = cs.filter((c) => c.ready).length + '/' + (p.spec.containers || []).length;
    const waiting = cs.map((c) => (c.state || {}).waiting).find((w) => w);
    const status = p.metadata.deletionTimestamp ? 'Terminating' : waiting ? waiting.reason : (p.status || {}).phase;
    return el('tr', { 'data-pod': keyOf(p) }, el('td', {}, keyOf(p)), el('td', {}, ready), el('td', {}, status || ''),
      el('td', {}, cs.reduce((n, c) => n + (c.restartCount || 0), 0)), el('td', {}, (p.status || {}).podIP || ''));
  }));
}

async function pollLoop() {
  for (;;) {
    const started = Date.now();
    try {
      await pollOnce();
      pollOk = true;
    } catch (e) {
      pollOk = false;
      $('#status').title = String(e.message || e);
    }
    showStatus();
    await new Promise((res) => setTimeout(res, Math.max(1000 - (Date.now() - started), 200)));
  }
}

async function main() {
  config = await (await fetch('config.json')).json();
  document.body.classList.toggle('read-only', !!config.readOnly);
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('#token').value.trim();
    $('#token').value = '';
    $('#token-form').hidden = true;
  });
  if (config.tokenRequired && !token) $('#token-form').hidden = false;
  watchKind('/apis/canaryd.io/v1alpha1/canaries', canaries, renderCanaries);
  watchKind('/api/v1/events', events, renderEvents);
  pollLoop();
}

main();
