import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { estimateColdStartMs } from '../autoscaler/coldstart.js';
import { startTestServer, FAST_SIM, type TestServer } from '../test/harness.js';
import { chat } from '../test/load.js';

// `simulate --deployment NAME`: a real server records real traffic through the gateway, and the real CLI
// replays that request log with the deployment's own spec, engine params and measured cold start.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('simulate --deployment replays the recorded requests with the deployment own settings', async () => {
  const create = 'deployment create replayed --model-name m --gpu-count 2 --replicas 2 --wait --engine-params'.split(' ');
  const c = await t.cli([...create, FAST_SIM]);
  assert.equal(c.code, 0, c.stderr);
  const auto = await t.cli(['deployment', 'autoscale', 'replayed', '--min', '1', '--max', '3', '--target-ongoing-requests', '5']);
  assert.equal(auto.code, 0, auto.stderr);
  const key = (await t.cli(['deployment', 'reveal-api-key', 'replayed'])).stdout.trim();
  const maxTokens = [3, 5, 7, 9, 11];
  for (const n of maxTokens) {
    const r = await chat(`${t.url}/d/replayed/v1`, key, { maxTokens: n });
    assert.equal(r.status, 200, r.body);
  }

  const out = await t.cli(['simulate', '--deployment', 'replayed', '--since', '1h', '--policy', 'ours,hpa', '-o', 'json']);
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout);
  assert.equal(report.trace.requests, maxTokens.length, 'every recorded request is replayed');
  assert.equal(report.settings.gpuCount, 2, "the deployment's GPUs per replica");
  assert.equal(report.settings.autoscale.maxReplicas, 3, "the deployment's own autoscale spec");
  assert.equal(report.settings.autoscale.targetOngoingRequests, 5);
  assert.equal(report.settings.engine.itlMs, 2, "the deployment's engine params");
  // the cold start is the live autoscaler's estimate from the replicas' measured starts
  const d = (await t.api('GET', '/deployments/replayed')).body;
  const measured = d.replicaDetails.map((r: { coldStartMs: number | null }) => r.coldStartMs).filter((x: number | null) => x !== null);
  assert.ok(measured.length > 0, 'the replicas measured their cold start');
  assert.equal(report.settings.coldStartS, estimateColdStartMs(measured, Number.NaN) / 1000);
  assert.deepEqual(
    report.policies.map((p: { name: string }) => p.name),
    ['ours', 'hpa'],
  );
  for (const p of report.policies) assert.equal(p.requests, maxTokens.length);

  const none = await t.cli(['simulate', '--deployment', 'nothing-here', '--since', '1h']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /nothing-here/);
});
