import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCloud } from './describe.js';
import type { CloudOptions } from './options.js';
import { DEFAULT_LAUNCH } from './provisioning.js';

test('describeCloud: zones summarised by their down intervals and up fraction, times in seconds', () => {
  const c: CloudOptions = {
    capacity: 'mixed',
    onDemandFloor: 1,
    node: { name: 'n1', gpuType: 'x', gpus: 1, gpuMemoryGiB: 24, onDemandUsdPerHour: 1, spotUsdPerHour: 0.4 },
    zones: [
      {
        zone: 'a',
        down: [
          [0, 250_000],
          [500_000, 750_000],
        ],
      },
      { zone: 'b', down: [] },
    ],
    launch: DEFAULT_LAUNCH,
    noticeMs: 120_000,
    fallbackAfterMs: 300_000,
  };
  const d = describeCloud(c, 1_000_000);
  assert.deepEqual(d.zones, [
    { zone: 'a', downIntervals: 2, upFraction: 0.5 },
    { zone: 'b', downIntervals: 0, upFraction: 1 },
  ]);
  assert.deepEqual(d.launch, { medianS: 120, sigma: 0.84, maxS: 900 });
  assert.equal(d.noticeS, 120);
  assert.equal(d.fallbackAfterS, 300);
  assert.equal(d.capacity, 'mixed');
});
