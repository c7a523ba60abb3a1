import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpuSeconds, gpusHeld, intervalGpuSeconds, parseSince, usd } from './meter.js';

test('GPU-seconds: start to stop times the GPU count; open intervals run to now; pending costs nothing', () => {
  const rows = [
    { startedAt: 0, stoppedAt: 630_000, gpuCount: 2 },
    { startedAt: 60_000, stoppedAt: 630_000, gpuCount: 2 },
    { startedAt: null, stoppedAt: null, gpuCount: 2 },
    { startedAt: 3_000_000, stoppedAt: null, gpuCount: 2 },
  ];
  assert.equal(gpuSeconds(rows, 3_600_000), 1260 + 1140 + 1200);
  assert.equal(gpuSeconds(rows, 300_000), 600 + 480, 'before the scale-down, open intervals count to now');
  assert.equal(gpuSeconds(rows, 2_900_000), 2400, 'scaled to zero: nothing accrues');
  assert.equal(gpuSeconds(rows, 3_600_000, 1_800_000), 1200, 'clipped to since');
  assert.equal(gpusHeld(rows, 3_600_000), 2);
  assert.equal(gpusHeld(rows, 2_000_000), 0);
  assert.equal(gpusHeld(rows, 100_000), 4);
  assert.equal(intervalGpuSeconds({ startedAt: 5000, stoppedAt: 4000, gpuCount: 1 }, 9000), 0);
  assert.equal(usd(3600, 2.5), 2.5);
});

test('parseSince: durations back from now, dates, epoch ms; nonsense is undefined', () => {
  const now = Date.UTC(2025, 0, 10);
  assert.equal(parseSince('7d', now), now - 7 * 86_400_000);
  assert.equal(parseSince('90s', now), now - 90_000);
  assert.equal(parseSince('1.5h', now), now - 5_400_000);
  assert.equal(parseSince('2025-01-01T00:00:00Z', now), Date.UTC(2025, 0, 1));
  assert.equal(parseSince('1736467200000', now), 1736467200000);
  assert.equal(parseSince('soon', now), undefined);
  assert.equal(parseSince('7x', now), undefined);
});
