// Deployments list: status, replicas ready/desired, GPUs, cost per hour, URL; "New deployment".
import { h, setChildren, fmt, badge, copyButton, tile } from '../lib/dom.js';
import { api, poll } from '../lib/api.js';
import { openCreateDialog } from './create.js';

function replicasCell(d) {
  const pct = d.replicas ? Math.min(100, (d.readyReplicas / d.replicas) * 100) : 0;
  const bar = h('span', { class: 'meter-fill' });
  bar.style.width = `${pct}%`;
  return h('div', { class: 'replicas-cell' },
    h('span', { class: 'mono', dataset: { testid: 'list-replicas' } }, `${d.readyReplicas}/${d.replicas}`),
    h('span', { class: 'meter' }, bar),
    d.autoscale ? h('span', { class: 'chip chip-auto', title: `autoscaled ${d.autoscale.minReplicas}–${d.autoscale.maxReplicas}` }, 'auto') : null,
  );
}

function row(d, costLine) {
  return h('tr', { dataset: { deployment: d.name } },
    h('td', {}, h('a', { class: 'row-link', href: `#/d/${d.name}` }, d.name), h('div', { class: 'sub' }, d.modelName, ' · ', d.engine)),
    h('td', {}, badge(d.status)),
    h('td', {}, replicasCell(d)),
    h('td', { class: 'mono' }, `${d.totalGpus}`, h('span', { class: 'sub' }, ` × ${d.gpuType}`)),
    h('td', { class: 'num mono' }, costLine ? fmt.money(costLine.burnRateUsdPerHour, 2) : '–', h('span', { class: 'sub' }, '/h')),
    h('td', {}, Object.entries(d.labels).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`))),
    h('td', { class: 'url-cell' }, h('code', { class: 'url' }, d.url), copyButton(d.url)),
  );
}

export function deploymentsPage(root) {
  const tiles = h('div', { class: 'tiles' });
  const body = h('tbody');
  const table = h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, ['Deployment', 'Status', 'Replicas', 'GPUs', 'Cost', 'Labels', 'Endpoint'].map((t, i) => h('th', { class: i === 4 ? 'num' : undefined }, t)))),
    body,
  );
  const empty = h('div', { class: 'empty', hidden: true },
    h('h3', {}, 'No deployments yet'),
    h('p', {}, 'Create one to serve a model behind an OpenAI-compatible URL.'),
    h('button', { class: 'btn btn-primary', type: 'button', onclick: () => openCreateDialog() }, 'New deployment'),
  );
  setChildren(root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Deployments'), h('p', { class: 'page-sub' }, 'Model-inference deployments on this server')),
      h('button', { class: 'btn btn-primary', type: 'button', dataset: { testid: 'create-deployment' }, onclick: () => openCreateDialog() }, '+ New deployment'),
    ),
    tiles,
    h('div', { class: 'card card-flush' }, table, empty),
  );

  return poll(async () => {
    const [{ deployments }, cost, { limits }] = await Promise.all([api('GET', '/deployments'), api('GET', '/cost?by=deployment').catch(() => null), api('GET', '/limits/gpu')]);
    const byName = new Map((cost?.lines ?? []).map((l) => [l.key, l]));
    setChildren(body, deployments.map((d) => row(d, byName.get(d.name))));
    empty.hidden = deployments.length > 0;
    table.hidden = deployments.length === 0;
    const ready = deployments.reduce((s, d) => s + d.readyReplicas, 0);
    const desired = deployments.reduce((s, d) => s + d.replicas, 0);
    const used = limits.reduce((s, l) => s + l.used, 0);
    const inv = limits.reduce((s, l) => s + l.inventory, 0);
    setChildren(tiles,
      tile('Deployments', String(deployments.length), `${deployments.filter((d) => d.status === 'ready').length} ready`),
      tile('Replicas', `${ready}/${desired}`, 'ready / desired'),
      tile('GPUs in use', `${used}/${inv}`, limits.map((l) => `${l.gpuType}: ${l.used}/${l.max}`).join(' · ')),
      tile('Burn rate', cost ? fmt.money(cost.total.burnRateUsdPerHour, 2) : '–', cost ? `per hour · ${fmt.money(cost.total.costUsd)} so far` : 'cost API unavailable'),
    );
  });
}
