import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, waitFor, FAST_SIM, type TestServer } from '../test/harness.js';

// Cost and metrics history end to end: real server, real replica processes, the real CLI.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

/** GPU-seconds from the replica rows themselves: (stop - start) x GPUs per replica. */
const expectedGpuSeconds = (name: string) => {
  const d = t.server.store.getDeploymentByName(name)!;
  return t.server.store.listReplicas(d.id).reduce((s, r) => s + (r.startedAt === null ? 0 : ((r.stoppedAt! - r.startedAt) / 1000) * d.gpuCount), 0);
};

test('cost: price set through the CLI, GPU-seconds match the replica rows after a scale to zero, grouped by team', async () => {
  const set = await t.cli(['cost', 'price', 'set', 'a5000', '3.6']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /a5000: \$3\.60 per GPU-hour/);
  const c = await t.cli([
    'deployment',
    'create',
    'chat',
    '--model-name',
    'm',
    '--gpu-count',
    '2',
    '--replicas',
    '2',
    '--engine-params',
    FAST_SIM,
    '--label',
    'team=search',
    '--wait',
  ]);
  assert.equal(c.code, 0, c.stderr);
  const key = (await t.cli(['deployment', 'reveal-api-key', 'chat'])).stdout.trim();
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${t.url}/d/chat/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'hi', max_tokens: 4 }),
    });
    assert.equal(r.status, 200);
  }
  const live = (await t.api('GET', '/cost')).body;
  assert.equal(live.lines[0].key, 'chat');
  assert.equal(live.lines[0].gpusHeld, 4);
  assert.equal(live.lines[0].burnRateUsdPerHour, 4 * 3.6);

  const down = await t.cli(['deployment', 'scale', 'chat', '0', '--wait']);
  assert.equal(down.code, 0, down.stderr);
  // the sampler counts the requests within a second or so
  const report = await waitFor(
    async () => {
      const r = (await t.api('GET', '/cost?by=deployment')).body;
      return r.lines[0]?.requests === 3 && r.lines[0]?.tokens === 12 ? r : undefined;
    },
    { what: '3 requests and 12 tokens counted' },
  );
  const line = report.lines[0];
  const secs = expectedGpuSeconds('chat');
  assert.ok(secs > 0);
  assert.equal(line.gpuSeconds, Math.round(secs * 1000) / 1000);
  assert.equal(line.burnRateUsdPerHour, 0, 'scaled to zero: billing stopped');
  assert.equal(line.costUsd, Math.round((secs / 3600) * 3.6 * 1e6) / 1e6);
  assert.equal(line.costPer1kRequestsUsd, Math.round((line.costUsd / 3) * 1000 * 1e6) / 1e6);
  const later = (await t.api('GET', '/cost')).body.lines[0];
  assert.equal(later.gpuSeconds, line.gpuSeconds, 'nothing accrues at zero replicas');

  const byTeam = await t.cli(['cost', '--by', 'label:team', '--since', '1h']);
  assert.equal(byTeam.code, 0, byTeam.stderr);
  assert.match(byTeam.stdout, /^TEAM\s+GPU-HOURS\s+COST/m);
  assert.match(byTeam.stdout, /^search\s+\d+\.\d{3}\s+\$\d+\.\d{2,4}\s+\$0\.00\s+3\s/m);
  assert.match(byTeam.stdout, /a5000: \$3\.60 per GPU-hour/);
  const json = JSON.parse((await t.cli(['cost', '-O', 'json', '--by', 'gpu-type'])).stdout);
  assert.equal(json.lines[0].key, 'a5000');
  assert.equal(json.total.gpuSeconds, line.gpuSeconds);
});

test('cost and metrics: bad arguments are refused naming the field', async () => {
  const bad = await t.api('GET', '/cost?since=soon');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /^since: /);
  assert.match((await t.api('GET', '/cost?by=team')).body.error.message, /^by: /);
  assert.equal((await t.api('PUT', '/cost/prices/a5000', { usdPerGpuHour: -2 })).status, 400);
  assert.equal((await t.api('PUT', '/cost/prices/a5000', { usdPerGpuHour: 'two' })).status, 400);
  const cli = await t.cli(['cost', 'price', 'set', 'a5000', 'lots']);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /usd: must be a non-negative number/);
  assert.equal((await t.api('GET', '/deployments/nope/metrics')).status, 404);
  assert.equal((await t.api('GET', '/deployments/chat/metrics?since=90d')).status, 400);
  assert.equal((await fetch(`${t.url}/api/v1/cost`)).status, 401, 'behind the admin token');
});

test('metrics history: replica counts and GPUs over time through the API and `inferscale metrics`', async () => {
  const m = await waitFor(
    async () => {
      const b = (await t.api('GET', '/deployments/chat/metrics?since=15m')).body;
      return b.columns.desired[b.columns.desired.length - 1] === 0 ? b : undefined;
    },
    { what: 'a sample after the scale to zero' },
  );
  assert.equal(m.resolutionMs, 1000);
  assert.ok(m.columns.at.length >= 2);
  assert.ok(m.columns.ready.includes(2), 'two ready replicas were sampled');
  assert.ok(m.columns.gpus.includes(4));
  assert.ok(m.columns.requestRate.some((x: number) => x > 0));
  const cli = await t.cli(['metrics', 'chat', '--since', '15m']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^TIME\s+REQ\/S\s+ONGOING\s+QUEUED\s+TTFT P50/m);
  assert.match(cli.stdout, /chat: \d+ points at 1 s resolution/);
  const coarse = (await t.api('GET', '/deployments/chat/metrics?since=2d')).body;
  assert.equal(coarse.resolutionMs, 300_000);
  // one (open) 5 min bucket per 5 minutes of the wall clock the 1 s samples span: one, or two when the run
  // crossed a boundary (samples go on between the reads, so the count is bounded by the reads before and after)
  const later = (await t.api('GET', '/deployments/chat/metrics?since=15m')).body;
  const buckets = (at: number[]) => new Set(at.map((x) => Math.floor(x / 300_000))).size;
  assert.ok(
    coarse.columns.at.length >= buckets(m.columns.at) && coarse.columns.at.length <= buckets(later.columns.at),
    `${coarse.columns.at.length} 5 min buckets for 1 s samples spanning ${buckets(m.columns.at)} to ${buckets(later.columns.at)}`,
  );
});

test('the dashboard is served at / and /ui/ with uPlot from node_modules; nothing else is', async () => {
  const index = await fetch(`${t.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type')!, /text\/html/);
  assert.match(index.headers.get('content-security-policy')!, /script-src 'self'/);
  assert.match(await index.text(), /<script src="\/ui\/app\.js" type="module">/);
  const uplot = await fetch(`${t.url}/ui/vendor/uplot.js`);
  assert.equal(uplot.status, 200);
  assert.match(await uplot.text(), /uPlot/);
  assert.equal((await fetch(`${t.url}/ui/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
  // encoded slashes are refused before any route sees the path (src/server/handler.ts normalisePath)
  assert.equal((await fetch(`${t.url}/ui/..%2F..%2Fpackage.json`)).status, 400);
  assert.equal((await fetch(`${t.url}/ui/missing.js`)).status, 404);
  assert.equal((await fetch(`${t.url}/ui/app.js`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${t.url}/nothing`)).status, 404);
});
