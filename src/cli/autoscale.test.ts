import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_AUTOSCALE } from '../autoscaler/spec.js';
import { modelLine, showAutoscaler } from './autoscale.js';

test("deployment show: the signals with their TTFT split and inter-token latency, and the policy's model when it gives one", () => {
  const signals = { at: 0, ongoing: 3, queued: 1, arrivals: 2, ttftP95Ms: 812.4, waitP95Ms: 640, prefillMs: 171.6, itlMs: 20.2, completions: 1 };
  const lastDecision = { at: '2025-01-06T00:00:00.000Z', desired: 4, reason: 'r' };
  const out = showAutoscaler({
    autoscale: { ...DEFAULT_AUTOSCALE },
    autoscaler: { signals, lastDecision, coldStartMs: 2_000, model: { fitted: true, prefillMsPerToken: 0.123456, samples: 240 } },
  });
  assert.match(out, /Signals +ongoing 3\.0, queued 1, arrivals 2\/s, ttft p95 812 ms, wait p95 640 ms, prefill 172 ms, inter-token 20 ms/);
  assert.match(out, /Capacity model +fitted true, prefillMsPerToken 0\.123, samples 240/);
  const without = showAutoscaler({ autoscale: { ...DEFAULT_AUTOSCALE }, autoscaler: { signals: null, lastDecision: null, coldStartMs: 2_000 } });
  assert.doesNotMatch(without, /Capacity model/);
  assert.match(without, /Signals +none yet/);
  assert.equal(modelLine({ a: 1, b: 'x', c: [1, 2] }), 'a 1, b x, c [1,2]');
  assert.match(without, /Autoscaling +policy ours; replicas 1 to 4/);
  const kpa = showAutoscaler({ autoscale: { ...DEFAULT_AUTOSCALE, policy: 'kpa' }, autoscaler: null });
  assert.match(kpa, /Autoscaling +policy kpa \(its project's own windows and delays\); replicas 1 to 4; target 4 ongoing requests per replica$/m);
});
