import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVAILABILITY_PRESETS, obtainable, parseAvailabilityCsv, preemptionsPerWeek, twoStateAvailability, upFraction } from './availability.js';

const WEEK = 7 * 24 * 3_600_000;

test('presets span the published measurements (obtainable 0.17-0.91, 41-60 preemptions/week/zone)', () => {
  const ob = AVAILABILITY_PRESETS.map(obtainable);
  assert.ok(Math.min(...ob) < 0.2 && Math.max(...ob) > 0.9);
  const pw = AVAILABILITY_PRESETS.map(preemptionsPerWeek);
  assert.ok(pw.some((p) => p >= 41 && p <= 45) && pw.some((p) => p >= 58 && p <= 62));
});

test('two-state model: seeded, disjoint sorted windows, and long-run up fraction and run counts near the parameters', () => {
  const p = { name: 't', upMeanH: 3, downMeanH: 1 };
  const a = twoStateAvailability(p, 4, 50 * WEEK, 7);
  assert.deepEqual(a, twoStateAvailability(p, 4, 50 * WEEK, 7));
  assert.notDeepEqual(a, twoStateAvailability(p, 4, 50 * WEEK, 8));
  for (const z of a) {
    for (let j = 0; j < z.down.length; j++) {
      assert.ok(z.down[j][0] < z.down[j][1]);
      if (j > 0) assert.ok(z.down[j][0] > z.down[j - 1][1]);
    }
    assert.ok(Math.abs(upFraction(z, 50 * WEEK) - 0.75) < 0.03, `up ${upFraction(z, 50 * WEEK)}`);
    const perWeek = z.down.length / 50;
    assert.ok(Math.abs(perWeek - 42) < 3, `down-runs per week ${perWeek}`);
  }
  assert.notDeepEqual(a[0].down, a[1].down); // zones draw their own streams
});

test('parseAvailabilityCsv: down intervals per zone; errors name the line and the field', () => {
  const z = parseAvailabilityCsv('zone,start_s,end_s,state\nus-a,0,600,up\nus-a,600,1200,down\nus-b,30,40,down\n');
  assert.deepEqual(z, [
    { zone: 'us-a', down: [[600_000, 1_200_000]] },
    { zone: 'us-b', down: [[30_000, 40_000]] },
  ]);
  assert.throws(() => parseAvailabilityCsv('zone,from,to\n'), /line 1 must be the header/);
  assert.throws(() => parseAvailabilityCsv('zone,start_s,end_s,state\na,10,5,down\n'), /line 2 end_s: must be a number above start_s/);
  assert.throws(() => parseAvailabilityCsv('zone,start_s,end_s,state\na,0,5,gone\n'), /line 2 state: must be up or down/);
  assert.throws(() => parseAvailabilityCsv('zone,start_s,end_s,state\na,0,50,down\na,40,60,down\n'), /zone a: down intervals 0-50 s and 40-60 s overlap/);
  assert.throws(() => parseAvailabilityCsv('zone,start_s,end_s,state\n'), /lists no zone/);
});
