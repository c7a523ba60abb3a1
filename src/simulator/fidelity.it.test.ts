import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test/harness.js';
import { burstTrace } from './traces/generators.js';
import { runFidelity } from './fidelity.js';

// The simulator against the live system on the same short trace: real gateway, real engine-simulator
// processes, the real autoscaler. The bound here is loose on purpose (a shared 2-core CI machine adds
// scheduling noise to the live side); `npm run bench:fidelity` records the measured gaps in docs/benchmarks.md.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('fidelity: GPU-seconds, ready-replica timeline and p50 latency of the live system and the simulator agree', async () => {
  const trace = burstTrace({
    baseRate: 1,
    burstRate: 6,
    everyMs: 60_000,
    burstMs: 15_000,
    firstMs: 10_000,
    durationMs: 45_000,
    seed: 3,
    tokens: { promptMedian: 64, promptSigma: 0.3, promptMax: 256, completionMedian: 30, completionSigma: 0.3, completionMax: 60 },
  });
  const r = await runFidelity(
    { url: t.url, api: t.api },
    {
      trace,
      engineParams: '--startup-seconds 2 --ttft-ms 20 --itl-ms 20 --max-num-seqs 4 --jitter 0',
      autoscale: '--min 0 --max 4 --target-ongoing-requests 2 --scale-to-zero-after 8s --downscale-delay 8s',
    },
  );
  assert.equal(r.live.failed, 0);
  assert.ok(r.live.gpuSeconds > 0 && r.sim.gpuSeconds > 0);
  assert.ok(
    r.gaps.gpuSeconds < 0.35,
    `GPU-seconds gap ${(r.gaps.gpuSeconds * 100).toFixed(1)}%: live ${r.live.gpuSeconds.toFixed(1)} s vs sim ${r.sim.gpuSeconds.toFixed(1)} s`,
  );
  assert.ok(r.gaps.p50Latency < 0.35, `p50 gap ${(r.gaps.p50Latency * 100).toFixed(1)}%: live ${r.live.p50LatencyMs} vs sim ${r.sim.p50LatencyMs}`);
  assert.ok(r.gaps.readyTimeline < 0.5, `ready-timeline gap ${(r.gaps.readyTimeline * 100).toFixed(1)}%`);
});
