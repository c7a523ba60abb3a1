// One deployment: figures, live charts (scaling decisions marked), replicas, events, log tail, actions.
import { h, setChildren, fmt, badge, copyButton, tile } from '../lib/dom.js';
import { api, poll } from '../lib/api.js';
import { timeChart } from '../lib/charts.js';
import { actionsCard, rotateKey, deleteDeployment } from './actions.js';

const RANGES = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 86400e3], ['7d', 7 * 86400e3], ['30d', 30 * 86400e3]];
let rangeKey = '15m';

const C = { blue: '#2563eb', teal: '#0d9488', amber: '#d97706', violet: '#7c3aed', green: '#16a34a', slate: '#475569', rose: '#e11d48' };

function replicaTable(d) {
  if (!d.replicaDetails.length) return h('p', { class: 'muted' }, 'No replicas.');
  return h('table', { class: 'table table-compact' },
    h('thead', {}, h('tr', {}, ['Replica', 'State', 'GPUs', 'Started', 'Cold start'].map((t) => h('th', {}, t)))),
    h('tbody', {}, d.replicaDetails.map((r) => h('tr', {},
      h('td', { class: 'mono' }, r.id),
      h('td', {}, badge(r.state), r.stateReason ? h('div', { class: 'sub' }, r.stateReason) : null),
      h('td', { class: 'mono' }, r.gpus.join(', ') || '–'),
      h('td', {}, fmt.ago(r.startedAt)),
      h('td', { class: 'mono' }, r.coldStartMs === null ? '–' : `${(r.coldStartMs / 1000).toFixed(1)} s`),
    ))),
  );
}

function eventList(events) {
  if (!events.length) return h('p', { class: 'muted' }, 'No events.');
  return h('ol', { class: 'events' }, [...events].reverse().map((e) =>
    h('li', { class: `event event-${e.kind}` }, h('time', { datetime: e.at, title: e.at }, fmt.dateTime(e.at)), h('span', { class: 'event-kind' }, e.kind), h('span', { class: 'event-msg' }, e.message))));
}

/** Inserts an empty row where samples are missing (server busy or down), so lines break instead of bridging. */
function withGaps(columns, resolutionMs) {
  const keys = Object.keys(columns);
  const out = Object.fromEntries(keys.map((k) => [k, []]));
  const at = columns.at;
  for (let i = 0; i < at.length; i++) {
    if (i > 0 && at[i] - at[i - 1] > 3 * resolutionMs) for (const k of keys) out[k].push(k === 'at' ? at[i - 1] + resolutionMs : null);
    for (const k of keys) out[k].push(columns[k][i]);
  }
  return out;
}

/** Figures over the last 10 s of samples (1 s samples are noisy): mean rates, newest TTFT. */
function recent(m) {
  const n = m.columns.at.length;
  if (!n) return null;
  const k = Math.max(1, Math.round(10_000 / m.resolutionMs));
  const last = (key) => m.columns[key].slice(Math.max(0, n - k));
  const mean = (xs) => xs.reduce((a, b) => a + (b ?? 0), 0) / xs.length;
  const newest = (xs) => [...xs].reverse().find((v) => v !== null) ?? null;
  return { requestRate: mean(last('requestRate')), tokensPerSecond: mean(last('tokensPerSecond')), ttftP95Ms: newest(last('ttftP95Ms')), ttftP50Ms: newest(last('ttftP50Ms')) };
}

export function deploymentPage(root, name) {
  let markers = [];
  const getMarkers = () => markers;
  const charts = [
    timeChart({ id: 'rate', title: 'Request rate', unit: 'req/s', series: [{ key: 'requestRate', label: 'Requests/s', color: C.blue, fill: true }] }),
    timeChart({ id: 'queue', title: 'Load', unit: 'requests', series: [{ key: 'ongoing', label: 'Ongoing', color: C.teal, fill: true }, { key: 'queued', label: 'Queued', color: C.amber, fill: true }] }),
    timeChart({ id: 'ttft', title: 'Time to first token', unit: 'ms', format: (v) => fmt.num(v, 0), softMax: 10, series: [{ key: 'ttftP50Ms', label: 'p50', color: C.teal }, { key: 'ttftP95Ms', label: 'p95', color: C.rose }] }),
    timeChart({
      id: 'replicas', title: 'Replicas', unit: 'scaling decisions marked', format: (v) => fmt.num(v, 1), softMax: 2, markers: getMarkers,
      series: [
        { key: 'desired', label: 'Desired', color: C.slate, dash: [6, 4], step: true, width: 1.5 },
        { key: 'ready', label: 'Ready', color: C.green, fill: true, step: true },
        { key: 'starting', label: 'Starting', color: C.amber, step: true },
      ],
    }),
  ];
  const head = h('div', { class: 'page-head' });
  const tiles = h('div', { class: 'tiles tiles-6' });
  const meta = h('div', { class: 'card meta-bar' });
  const rangeBar = h('div', { class: 'segmented', role: 'tablist', 'aria-label': 'Time range' });
  const drawRange = () => setChildren(rangeBar, RANGES.map(([k]) =>
    h('button', { type: 'button', role: 'tab', class: k === rangeKey ? 'active' : undefined, 'aria-selected': String(k === rangeKey), onclick: () => { rangeKey = k; drawRange(); void refresh(); } }, k)));
  drawRange();
  const actions = actionsCard(name);
  const replicasBox = h('div');
  const eventsBox = h('div', { class: 'scroll-box' });
  const logs = h('pre', { class: 'logs', dataset: { testid: 'logs' } }, 'Loading…');
  setChildren(root,
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Deployments'), h('span', {}, '/'), h('span', {}, name)),
    head,
    tiles,
    meta,
    h('div', { class: 'section-head' }, h('h2', {}, 'Metrics'), rangeBar),
    h('div', { class: 'chart-grid' }, charts.map((c) => c.el)),
    h('div', { class: 'two-col' },
      actions.el,
      h('section', { class: 'card' }, h('h3', { class: 'card-title' }, 'Replicas'), replicasBox),
    ),
    h('div', { class: 'two-col' },
      h('section', { class: 'card' }, h('h3', { class: 'card-title' }, 'Events'), eventsBox),
      h('section', { class: 'card' }, h('h3', { class: 'card-title' }, 'Log tail'), logs),
    ),
  );

  let gone = false;
  async function refresh() {
    if (gone) return;
    let d;
    try {
      d = await api('GET', `/deployments/${name}`);
    } catch (e) {
      if (e.status === 404) {
        gone = true;
        setChildren(root, h('div', { class: 'empty' }, h('h3', {}, `${name} does not exist (any more)`), h('a', { class: 'btn btn-primary', href: '#/' }, 'Back to deployments')));
        return;
      }
      throw e;
    }
    const range = RANGES.find(([k]) => k === rangeKey)[1];
    const [m, ev, cost, lg] = await Promise.all([
      api('GET', `/deployments/${name}/metrics?since=${rangeKey}`),
      api('GET', `/deployments/${name}/events?limit=200`),
      api('GET', '/cost?by=deployment').catch(() => null),
      api('GET', `/deployments/${name}/logs?tail=200`).catch((e) => ({ lines: [`(logs unavailable: ${e.message})`] })),
    ]);
    const line = cost?.lines.find((l) => l.key === name);
    const latest = recent(m);
    setChildren(head,
      h('div', { class: 'title-row' }, h('h1', {}, d.name), badge(d.status), h('span', { class: 'muted' }, d.statusDetails)),
      h('div', { class: 'head-actions' },
        h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => rotateKey(name) }, 'Rotate key'),
        h('button', { class: 'btn btn-danger-ghost', type: 'button', dataset: { testid: 'delete' }, onclick: () => deleteDeployment(name) }, 'Delete')),
    );
    setChildren(tiles,
      tile('Replicas', `${d.readyReplicas}/${d.replicas}`, d.autoscale ? `autoscaled ${d.autoscale.minReplicas}–${d.autoscale.maxReplicas}` : 'ready / desired', 'replicas-value'),
      tile('GPUs', String(d.totalGpus), `${d.gpuCount} × ${d.gpuType} per replica`),
      tile('Cost', line ? `${fmt.money(line.burnRateUsdPerHour, 2)}/h` : '–', line ? `${fmt.money(line.costUsd)} so far` : ''),
      tile('Request rate', latest ? `${fmt.num(latest.requestRate, 1)}/s` : '–', latest ? `${fmt.num(latest.tokensPerSecond, 0)} tokens/s · 10 s average` : ''),
      tile('TTFT p95', latest?.ttftP95Ms != null ? fmt.ms(latest.ttftP95Ms) : '–', latest?.ttftP50Ms != null ? `p50 ${fmt.ms(latest.ttftP50Ms)}` : 'no streamed completions lately'),
      tile('Cost / 1k requests', line ? fmt.money(line.costPer1kRequestsUsd, 4) : '–', line?.costPerMillionTokensUsd != null ? `${fmt.money(line.costPerMillionTokensUsd, 2)} / 1M tokens` : ''),
    );
    setChildren(meta,
      h('div', { class: 'meta-item grow' }, h('span', { class: 'meta-label' }, 'Endpoint'), h('code', { class: 'url' }, d.url), copyButton(d.url)),
      h('div', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Model'), h('span', {}, d.modelName)),
      h('div', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Engine'), h('span', {}, d.engine)),
      h('div', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Capacity'), h('span', { dataset: { testid: 'capacity' } }, d.capacity?.capacity === 'mixed' ? `mixed, on-demand floor ${d.capacity.onDemandFloor}` : (d.capacity?.capacity ?? 'on-demand'))),
      h('div', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Labels'), Object.keys(d.labels).length ? Object.entries(d.labels).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`)) : h('span', { class: 'muted' }, 'none')),
    );
    markers = ev.events.filter((e) => e.kind === 'scale' || e.kind === 'autoscale').map((e) => ({ t: Date.parse(e.at) / 1000, text: e.message, kind: e.kind }));
    // the window ends now; a young deployment's window starts shortly before its first sample
    const now = Date.now();
    const first = m.columns.at[0] ?? now;
    const xMin = Math.max(now - range, Math.min(first - 10_000, now - 120_000));
    const cols = withGaps(m.columns, m.resolutionMs);
    for (const c of charts) c.update(cols, xMin, now);
    actions.update(d);
    setChildren(replicasBox, replicaTable(d));
    setChildren(eventsBox, eventList(ev.events));
    const atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 8;
    logs.textContent = lg.lines.length ? lg.lines.join('\n') : '(no log lines yet)';
    if (atBottom) logs.scrollTop = logs.scrollHeight;
  }

  const stop = poll(refresh, 2000);
  return () => {
    stop();
    for (const c of charts) c.destroy();
  };
}
