// GPUs: inventory, who holds which GPU, quota per type and price per GPU-hour.
import { h, setChildren, fmt, colorFor } from '../lib/dom.js';
import { api, poll } from '../lib/api.js';

const gib = (mb) => `${Number((mb / 1024).toFixed(1))} GiB`;

// A GPU shared by fractional replicas: its memory in use, and each replica on it with its deployment.
function sharedBlock(g, owners) {
  const fill = h('span', { class: 'meter-fill' });
  fill.style.width = `${g.memoryMb ? Math.min(100, (g.usedMb / g.memoryMb) * 100) : 0}%`;
  return h('div', { class: 'gpu-shared', dataset: { testid: 'gpu-shared' } },
    h('div', { class: 'replicas-cell' }, h('span', { class: 'mono' }, `${gib(g.usedMb)} / ${gib(g.memoryMb)}`), h('span', { class: 'meter' }, fill)),
    ...g.replicas.map((id) => {
      const o = owners.get(id);
      return h('div', { class: 'sub mono' }, o ? h('a', { href: `#/d/${o.deployment}` }, o.deployment) : null, ` ${id}`);
    }),
  );
}

function gpuCard(g, owner, owners) {
  const shared = !g.whole && (g.replicas ?? []).length > 0;
  const holder = owner ? h('a', { class: 'gpu-holder', href: `#/d/${owner.deployment}` }, shared ? `shared by ${g.replicas.length}` : owner.deployment) : h('span', { class: 'gpu-free' }, 'free');
  const memory = g.memoryMb ? ` · ${gib(g.memoryMb)}` : '';
  const card = h('div', { class: `gpu ${owner ? 'gpu-held' : ''}`, dataset: { gpu: String(g.index) } },
    h('div', { class: 'gpu-top' }, h('span', { class: 'gpu-index' }, `GPU ${g.index}`), h('span', { class: 'chip' }, g.type)),
    h('div', { class: 'gpu-product' }, g.virtual ? `virtual slot${memory}` : `${g.product}${memory}`),
    holder,
    shared ? sharedBlock(g, owners) : owner ? h('div', { class: 'sub mono' }, `${owner.replica} · ${owner.state}`) : h('div', { class: 'sub' }, ' '),
    ...(g.sleepers ?? []).map((id) => {
      const o = owners.get(id);
      return h('div', { class: 'sub mono gpu-sleeper', dataset: { testid: 'gpu-sleeper' } }, o ? h('a', { href: `#/d/${o.deployment}` }, o.deployment) : null, ` ${id} · asleep`);
    }),
  );
  if (owner) card.style.setProperty('--holder', colorFor(owner.deployment));
  return card;
}

function quotaRow(l, price) {
  const pct = l.max ? Math.min(100, (l.used / l.max) * 100) : 0;
  const fill = h('span', { class: 'meter-fill' });
  fill.style.width = `${pct}%`;
  return h('tr', {},
    h('td', { class: 'mono' }, l.gpuType),
    h('td', {}, h('div', { class: 'replicas-cell' }, h('span', { class: 'mono' }, `${l.used}/${l.max}`), h('span', { class: 'meter meter-wide' }, fill))),
    h('td', { class: 'mono' }, l.quota === null ? h('span', { class: 'muted' }, 'unset (inventory)') : String(l.quota)),
    h('td', { class: 'mono' }, String(l.inventory)),
    h('td', { class: 'num mono' }, price ? fmt.money(price.usdPerGpuHour, 2) : '–', price && price.source !== 'set' ? h('div', { class: 'sub' }, price.source === 'default-virtual' ? 'default for virtual GPUs' : 'no price set') : null),
  );
}

export function gpusPage(root) {
  const grid = h('div', { class: 'gpu-grid', dataset: { testid: 'gpu-grid' } });
  const quota = h('tbody');
  const summary = h('p', { class: 'page-sub' });
  setChildren(root,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'GPUs'), summary)),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h3', { class: 'card-title' }, 'Quota and price by GPU type')),
      h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ['Type', 'Used / max', 'Quota', 'Inventory', 'Price / GPU-hour'].map((t, i) => h('th', { class: i === 4 ? 'num' : undefined }, t)))), quota)),
    h('div', { class: 'section-head' }, h('h2', {}, 'Inventory')),
    grid,
  );
  return poll(async () => {
    const [{ gpus }, { limits }, { deployments }, prices] = await Promise.all([
      api('GET', '/gpus'),
      api('GET', '/limits/gpu'),
      api('GET', '/deployments'),
      api('GET', '/cost/prices').catch(() => ({ prices: [] })),
    ]);
    const owners = new Map();
    for (const d of deployments) for (const r of d.replicaDetails) owners.set(r.id, { deployment: d.name, replica: r.id, state: r.state });
    const priceOf = new Map(prices.prices.map((p) => [p.gpuType, p]));
    const held = gpus.filter((g) => g.heldBy).length;
    summary.textContent = `${gpus.length} GPU${gpus.length === 1 ? '' : 's'} on this server · ${held} held · ${gpus.length - held} free`;
    setChildren(grid, gpus.map((g) => gpuCard(g, g.heldBy ? owners.get(g.heldBy) ?? { deployment: g.heldBy.replace(/-[0-9a-f]{6}$/, ''), replica: g.heldBy, state: 'live' } : undefined, owners)));
    setChildren(quota, limits.map((l) => quotaRow(l, priceOf.get(l.gpuType))));
  });
}
