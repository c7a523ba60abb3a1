import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScalingPolicy } from '../../autoscaler/types.js';
import { DEFAULT_SIM_PARAMS, type SimEngineParams } from '../../engines/sim/params.js';
import { DeploymentSim } from '../engine/deployment-sim.js';
import type { SimOptions } from '../engine/options.js';
import { traceFromArrivals } from '../traces/trace.js';
import type { ZoneWindows } from './availability.js';
import type { CloudOptions } from './options.js';

/** exact service: 100 ms per output token, no prefill, no noise */
const ENGINE: SimEngineParams = { ...DEFAULT_SIM_PARAMS, ttftMs: 0, prefillMsPerToken: 0, itlMs: 100, slowdownPerSeq: 0, jitter: 0, maxNumSeqs: 4 };
const NODE = { name: 'n1', gpuType: 'x', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1, spotUsdPerHour: 0.4 };
const HOUR = 3_600_000;

function cloud(capacity: CloudOptions['capacity'], zones: ZoneWindows[], over: Partial<CloudOptions> = {}): CloudOptions {
  return {
    capacity,
    onDemandFloor: 0,
    node: NODE,
    zones,
    launch: { medianMs: 20_000, sigma: 0, maxMs: 900_000 },
    noticeMs: 120_000,
    fallbackAfterMs: 120_000,
    ...over,
  };
}

function opts(c: CloudOptions, over: Partial<SimOptions> = {}): SimOptions {
  return {
    engine: ENGINE,
    coldStartMs: 10_000,
    gpuCount: 1,
    maxQueued: 1000,
    queueTimeoutMs: 60_000,
    sloTtftMs: 2000,
    seed: 1,
    idleProbeMs: 0,
    cloud: c,
    ...over,
  };
}

const fixed = (n: number): ScalingPolicy<null> => ({
  name: 'fixed',
  tickMs: 1000,
  init: () => null,
  decide: () => ({ desired: n, reason: 'fixed', state: null }),
});

test('a preemption whose replacement is ready within the notice loses no request', () => {
  // a request every 500 ms (1 s each) for 10 min on one spot replica in zone-0, reclaimed at 100 s; zone-1 has spot
  const times = Array.from({ length: 1200 }, (_, k) => k * 500);
  const trace = traceFromArrivals(
    times.map((at) => ({ at, promptTokens: 10, completionTokens: 11 })),
    { durationMs: 600_000 },
  );
  const zones = [
    { zone: 'a', down: [[100_000, 600_000]] as [number, number][] },
    { zone: 'b', down: [] },
  ];
  const r = new DeploymentSim(trace, fixed(1), opts(cloud('spot', zones), { initialReplicas: 1 })).run();
  const s = r.cloud;
  assert.ok(s);
  assert.equal(s.preemptions, 1);
  assert.equal(s.retried, 0);
  assert.equal(s.lost, 0);
  assert.equal(r.failedQueueTimeout + r.failedQueueFull + r.failedRejected, 0);
  assert.ok(r.ttftMs.every((t) => Number.isFinite(t)));
  // the replacement (launch 20 s + cold start 10 s) served what arrived while none was ready
  assert.ok(r.ttftMs[201] > 20_000 && r.ttftMs[201] <= 30_000, `held ${r.ttftMs[201]}`);
  assert.equal(s.onDemandHours, 0);
  // billed at the spot price: the first replica 0-101 s (it finishes the request it had at the notice), the replacement 100-600 s
  assert.ok(Math.abs(s.costUsd - 0.4 * (601_000 / HOUR)) < 1e-9, `cost ${s.costUsd}`);
});

test('requests still in flight at the notice end: retried through the gateway before their first token, lost once streaming', () => {
  // one engine slot, a gateway cap of 4: #0 streams 0-200 s, #1 200-400 s, #2 waits at the engine
  const engine = { ...ENGINE, maxNumSeqs: 1 };
  const trace = traceFromArrivals(
    [0, 1000, 2000].map((at) => ({ at, promptTokens: 10, completionTokens: 2001 })),
    { durationMs: 900_000 },
  );
  const zoneA = { zone: 'a', down: [[100_000, 900_000]] as [number, number][] };
  const withSpare = new DeploymentSim(
    trace,
    fixed(1),
    opts(cloud('spot', [zoneA, { zone: 'b', down: [] }]), { engine, maxOngoingPerReplica: 4, initialReplicas: 1 }),
  ).run();
  // notice at 100 s, death at 220 s: #0 done at 200 s, #1 streaming since 200 s (cut), #2 retried on the replacement
  assert.deepEqual([withSpare.cloud?.retried, withSpare.cloud?.cut, withSpare.cloud?.lost], [1, 1, 1]);
  assert.equal(withSpare.ttftMs[0], 0);
  assert.equal(withSpare.ttftMs[1], Infinity);
  assert.equal(withSpare.ttftMs[2], 220_000 - 2000); // first token at the retry, counted from the arrival
  // no zone with spot: the retried request waits in the queue and times out
  const none = new DeploymentSim(trace, fixed(1), opts(cloud('spot', [zoneA]), { engine, maxOngoingPerReplica: 4, initialReplicas: 1 })).run();
  assert.deepEqual([none.cloud?.retried, none.cloud?.cut, none.cloud?.lost], [1, 1, 2]);
  assert.equal(none.failedQueueTimeout, 1);
  assert.equal(none.ttftMs[2], Infinity);
});

test('mixed: spot short past the bound falls back to on-demand, and moves back to spot when it returns', () => {
  // 2 replicas, floor 1: one on-demand, one spot; the only zone is down 60-1000 s; bound 120 s; launch 20 s
  const trace = traceFromArrivals([], { durationMs: 1_500_000 });
  const c = cloud('mixed', [{ zone: 'a', down: [[60_000, 1_000_000]] }], { onDemandFloor: 1 });
  const r = new DeploymentSim(trace, fixed(2), opts(c, { initialReplicas: 2 })).run();
  const s = r.cloud;
  assert.ok(s);
  assert.equal(s.preemptions, 1);
  assert.equal(s.fallbacks, 1);
  assert.equal(s.movesBack, 1);
  // on-demand: the floor 0-1500 s, the fallback from 180 s (60 s + the bound) until its spot mover, launched a
  // bound after spot returned (1000 + 120 s), is ready (+ 20 s launch + 10 s cold start)
  assert.ok(Math.abs(s.onDemandHours - (1500 + 970) / 3600) < 1e-9, `on-demand h ${s.onDemandHours}`);
  // spot: the first 0-60 s, the mover from its launch at 1120 s to the end
  assert.ok(Math.abs(s.spotHours - (60 + 380) / 3600) < 1e-9, `spot h ${s.spotHours}`);
  // spot back for less than the bound: no move back
  const flap = [
    {
      zone: 'a',
      down: [
        [60_000, 1_000_000],
        [1_060_000, 1_500_000],
      ] as [number, number][],
    },
  ];
  const f = new DeploymentSim(trace, fixed(2), opts({ ...c, zones: flap }, { initialReplicas: 2 })).run();
  assert.equal(f.cloud?.movesBack, 0);
  // spot only waits instead: no on-demand at all
  const spot = new DeploymentSim(trace, fixed(2), opts(cloud('spot', c.zones), { initialReplicas: 2 })).run();
  assert.equal(spot.cloud?.onDemandHours, 0);
  assert.equal(spot.cloud?.fallbacks, 0);
});

test('mixed: one zone holds at most its share of the spot replicas, so its preemption takes only that share', () => {
  // 7 replicas, floor 1, 3 zones; only zone a has spot, until 500 s: a share is ceil(6 / 3) = 2 spot replicas
  const trace = traceFromArrivals([], { durationMs: 1_000_000 });
  const never: [number, number][] = [[0, 1_000_000]];
  const zones = [
    { zone: 'a', down: [[500_000, 1_000_000]] as [number, number][] },
    { zone: 'b', down: never },
    { zone: 'c', down: never },
  ];
  const s = new DeploymentSim(trace, fixed(7), opts(cloud('mixed', zones, { onDemandFloor: 1 }), { initialReplicas: 7 })).run().cloud;
  assert.ok(s);
  assert.equal(s.preemptions, 2, 'only the share in zone a is preempted');
  // 4 on on-demand beyond the share, the 2 replacements after waiting the bound (no zone up)
  assert.equal(s.fallbacks, 6);
  assert.ok(Math.abs(s.spotHours - 1000 / 3600) < 1e-9, `spot h ${s.spotHours}`);
  // floor and 4 beyond the share 0-1000 s; the replacements from 620 s (500 + the bound)
  assert.ok(Math.abs(s.onDemandHours - (5 * 1000 + 2 * 380) / 3600) < 1e-9, `on-demand h ${s.onDemandHours}`);
  assert.equal(s.movesBack, 0);
});

test('mixed: a scale-down takes the on-demand floor last, as live', () => {
  // floor 1 of 3 (1 on-demand, 2 spot, spot up throughout), then 1 from 100 s: the floor's replica stays
  const trace = traceFromArrivals([], { durationMs: 1_000_000 });
  const step: ScalingPolicy<number> = {
    name: 'step',
    tickMs: 1000,
    init: (now) => now,
    decide: (i, t0) => ({ desired: i.now - t0 < 100_000 ? 3 : 1, reason: 'step', state: t0 }),
  };
  const s = new DeploymentSim(trace, step, opts(cloud('mixed', [{ zone: 'a', down: [] }], { onDemandFloor: 1 }), { initialReplicas: 3 })).run().cloud;
  assert.ok(s);
  // without the floor kept last the oldest idle replica (the floor's) would go first, and 2 spot would stay
  assert.ok(Math.abs(s.onDemandHours - 1000 / 3600) < 0.01, `on-demand h ${s.onDemandHours}`);
  assert.ok(s.spotHours < (2 * 101) / 3600, `spot h ${s.spotHours}`);
});

test("SkyServe's rule: on-demand covers while spot replicas are not ready, retired once they are", () => {
  const trace = traceFromArrivals([], { durationMs: 1_500_000 });
  const c = cloud('skyserve', [{ zone: 'a', down: [[60_000, 1_000_000]] }]);
  const r = new DeploymentSim(trace, fixed(2), opts(c, { initialReplicas: 2 })).run();
  const s = r.cloud;
  assert.ok(s);
  assert.equal(s.preemptions, 2);
  // two covers launched at the preemption (60 s), retired when the spot replicas are ready again (1000 + 30 s)
  assert.equal(s.fallbacks, 2);
  assert.ok(Math.abs(s.onDemandHours - (2 * 970) / 3600) < 1e-9, `on-demand h ${s.onDemandHours}`);
});

test('without a cloud model nothing changes: no cloud numbers in the result', () => {
  const trace = traceFromArrivals([{ at: 0, promptTokens: 10, completionTokens: 11 }], { durationMs: 60_000 });
  const { cloud: _, ...plain } = opts(cloud('spot', []));
  const r = new DeploymentSim(trace, fixed(1), { ...plain, initialReplicas: 1 }).run();
  assert.equal(r.cloud, undefined);
  assert.equal(r.gpuMs, 60_000);
});
