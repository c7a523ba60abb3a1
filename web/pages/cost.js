// Cost: GPU-hours, cost, burn rate, cost per 1k requests and per 1M tokens, by deployment or label;
// prices per GPU-hour.
import { h, setChildren, fmt, tile, toast } from '../lib/dom.js';
import { api, poll } from '../lib/api.js';

const SINCE = [['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['all', 'All time']];
const BY = [['deployment', 'Deployment'], ['label:team', 'Team'], ['label:project', 'Project'], ['gpu-type', 'GPU type']];
const state = { since: '7d', by: 'deployment' };

function select(options, key, onChange) {
  const s = h('select', { class: 'input-sm', onchange: (e) => { state[key] = e.target.value; onChange(); } }, options.map(([v, t]) => h('option', { value: v }, t)));
  s.value = state[key];
  return s;
}

function costRow(l, isTotal) {
  return h('tr', { class: isTotal ? 'total-row' : undefined },
    h('td', {}, isTotal ? 'Total' : l.key, l.deleted ? h('span', { class: 'chip chip-muted' }, 'deleted') : null,
      !isTotal && l.deployments.length && (l.deployments.length > 1 || l.deployments[0] !== l.key) ? h('div', { class: 'sub' }, l.deployments.join(', ')) : null),
    h('td', { class: 'num mono' }, fmt.num(l.gpuHours, 3)),
    h('td', { class: 'num mono strong' }, fmt.money(l.costUsd)),
    h('td', { class: 'num mono' }, fmt.money(l.burnRateUsdPerHour, 2)),
    h('td', { class: 'num mono' }, fmt.num(l.requests, 0)),
    h('td', { class: 'num mono' }, fmt.money(l.costPer1kRequestsUsd, 4)),
    h('td', { class: 'num mono' }, fmt.num(l.tokens, 0)),
    h('td', { class: 'num mono' }, fmt.money(l.costPerMillionTokensUsd, 2)),
  );
}

function pricesCard(prices, refresh) {
  const type = h('input', { class: 'input-sm', placeholder: 'h100', autocomplete: 'off' });
  const usd = h('input', { class: 'input-sm', type: 'number', min: 0, step: '0.01', placeholder: '2.50' });
  const form = h('form', { class: 'inline-form', novalidate: true }, h('label', { class: 'inline-label' }, 'GPU type'), type, h('label', { class: 'inline-label' }, 'USD / GPU-hour'), usd, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Set price'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('PUT', `/cost/prices/${encodeURIComponent(type.value.trim())}`, { usdPerGpuHour: Number(usd.value) });
      toast(`${type.value.trim()}: $${Number(usd.value).toFixed(2)} per GPU-hour`);
      await refresh();
    } catch (err) {
      toast(err.message, 'bad');
    }
  });
  return h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, 'Prices'),
    h('ul', { class: 'price-list' }, prices.map((p) => h('li', {}, h('span', { class: 'mono' }, p.gpuType), h('span', { class: 'mono strong' }, `${fmt.money(p.usdPerGpuHour, 2)} / GPU-hour`),
      h('span', { class: 'muted small' }, p.source === 'set' ? 'set' : p.source === 'default-virtual' ? 'nominal default for virtual GPUs' : 'no price set')))),
    form,
  );
}

export function costPage(root) {
  const tiles = h('div', { class: 'tiles' });
  const body = h('tbody');
  const firstCol = h('th', {}, 'Deployment');
  const prices = h('div');
  let refresh = async () => {};
  let shownPrices = '';
  const controls = h('div', { class: 'controls' }, select(SINCE, 'since', () => refresh()), select(BY, 'by', () => refresh()));
  setChildren(root,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Cost'), h('p', { class: 'page-sub' }, 'GPU-seconds metered from replica start to stop, priced per GPU type')), controls),
    tiles,
    h('section', { class: 'card card-flush' },
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, firstCol, ['GPU-hours', 'Cost', 'Burn / h', 'Requests', 'Per 1k req', 'Tokens', 'Per 1M tokens'].map((t) => h('th', { class: 'num' }, t)))),
        body)),
    prices,
  );
  refresh = async () => {
    const q = new URLSearchParams({ by: state.by });
    if (state.since !== 'all') q.set('since', state.since);
    const r = await api('GET', `/cost?${q}`);
    firstCol.textContent = BY.find(([v]) => v === state.by)[1];
    setChildren(body, r.lines.map((l) => costRow(l, false)), costRow(r.total, true));
    setChildren(tiles,
      tile('Cost', fmt.money(r.total.costUsd), SINCE.find(([v]) => v === state.since)[1]),
      tile('Burn rate', `${fmt.money(r.total.burnRateUsdPerHour, 2)}/h`, `${r.total.gpusHeld} GPUs held now`),
      tile('Per 1k requests', fmt.money(r.total.costPer1kRequestsUsd, 4), `${fmt.num(r.total.requests, 0)} requests`),
      tile('Per 1M tokens', fmt.money(r.total.costPerMillionTokensUsd, 2), `${fmt.num(r.total.tokens, 0)} tokens`),
    );
    const list = r.prices.length ? r.prices : (await api('GET', '/cost/prices')).prices;
    if (JSON.stringify(list) !== shownPrices) {
      shownPrices = JSON.stringify(list);
      setChildren(prices, pricesCard(list, refresh));
    }
  };
  return poll(() => refresh(), 5000);
}
