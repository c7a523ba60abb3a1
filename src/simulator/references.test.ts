import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SIM_PARAMS, type SimEngineParams } from '../engines/sim/params.js';
import { computeReferences, foresightSchedule, idealLoad } from './references.js';
import { traceFromArrivals } from './traces/trace.js';

/** service time = (completion - 1) x 100 ms exactly: 11 tokens = 1 s */
const P: SimEngineParams = { ...DEFAULT_SIM_PARAMS, ttftMs: 0, prefillMsPerToken: 0, itlMs: 100, slowdownPerSeq: 0, jitter: 0, maxNumSeqs: 2 };

const trace = traceFromArrivals([
  { at: 500, promptTokens: 1, completionTokens: 11 }, // [500, 1500)
  { at: 600, promptTokens: 1, completionTokens: 11 }, // [600, 1600)
  { at: 700, promptTokens: 1, completionTokens: 6 }, // [700, 1200)
  { at: 10_500, promptTokens: 1, completionTokens: 21 }, // [10500, 12500)
]);

test('ideal load: peak concurrent sequences per second', () => {
  const load = idealLoad(trace, P);
  assert.deepEqual([...load.peakPerSecond], [3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  assert.equal(load.sequenceMs, 4500);
  assert.equal(load.peak, 3);
});

test('foresight matches a hand computation: restart after long gaps, bridge short ones', () => {
  // needed: s0-1: 2, s10-12: 1.
  // cold start 3 s: slot 1 = 3 + 2 (s0-1) + 3 (restart: gap 8 s > 3 s) + 3 (s10-12) = 11 s; slot 2 = 3 + 2 = 5 s
  const short = foresightSchedule(idealLoad(trace, P), 2, 3000, 1);
  assert.equal(short.gpuMs, 16_000);
  assert.equal(short.peakReplicas, 2);
  // cold start 10 s: slot 1 bridges the 8 s gap: 10 + 2 + 8 + 3 = 23 s; slot 2 = 10 + 2 = 12 s
  assert.equal(foresightSchedule(idealLoad(trace, P), 2, 10_000, 1).gpuMs, 35_000);
  // two GPUs per replica bill twice
  assert.equal(foresightSchedule(idealLoad(trace, P), 2, 3000, 2).gpuMs, 32_000);
});

test('references in GPU-hours: work bound = sequence-time / slots', () => {
  const r = computeReferences(trace, P, 3000, 1);
  assert.ok(Math.abs(r.workBound.gpuHours - 2250 / 3_600_000) < 1e-12);
  assert.ok(Math.abs(r.foresight.gpuHours - 16_000 / 3_600_000) < 1e-12);
  assert.ok(r.workBound.gpuHours <= r.foresight.gpuHours);
});
