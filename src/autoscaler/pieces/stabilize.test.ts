import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxSince, minSince, recordRecommendation, recordRun, runExtreme, runQuantile, stabilize } from './stabilize.js';

describe('stabilization over recommendations', () => {
  const recs = [
    { at: 0, replicas: 5 },
    { at: 100_000, replicas: 3 },
    { at: 200_000, replicas: 2 },
  ];
  it('keeps recommendations for the window only', () => {
    const out = recordRecommendation(recs, { at: 300_000, replicas: 1 }, 150_000);
    assert.deepEqual(
      out.map((r) => r.at),
      [200_000, 300_000],
    );
  });
  it('down: the highest recommendation of the window; up: the lowest', () => {
    const all = recordRecommendation(recs, { at: 250_000, replicas: 1 }, 1e9);
    assert.equal(maxSince(all, 250_000, 300_000, 1), 5);
    assert.equal(maxSince(all, 250_000, 100_000, 1), 2);
    assert.equal(minSince(all, 250_000, 300_000, 9), 1);
    // HPA: scaling down from 5 with a 300 s window still sees the 5 -> stays
    assert.equal(stabilize(all, 250_000, 5, 1, 0, 300_000), 5);
    // with a 160 s window the highest recent is 3, with 100 s it is 2
    assert.equal(stabilize(all, 250_000, 5, 1, 0, 160_000), 3);
    assert.equal(stabilize(all, 250_000, 5, 1, 0, 100_000), 2);
    // up with a 0 s window follows the current recommendation at once
    const up = recordRecommendation(all, { at: 260_000, replicas: 8 }, 1e9);
    assert.equal(stabilize(up, 260_000, 5, 8, 0, 300_000), 8);
    // up with a 60 s window: the lowest of the last minute (1) is below current: hold
    assert.equal(stabilize(up, 260_000, 5, 8, 60_000, 300_000), 5);
  });
});

describe('recommendations as runs', () => {
  it('stores changes only and answers the same windows', () => {
    let runs = recordRun([], 1000, 4, 300_000);
    const same = recordRun(runs, 2000, 4, 300_000);
    assert.equal(same, runs, 'no copy when nothing changed');
    runs = recordRun(same, 10_000, 2, 300_000);
    runs = recordRun(runs, 20_000, 3, 300_000);
    assert.deepEqual(runs, [
      { at: 1000, replicas: 4 },
      { at: 10_000, replicas: 2 },
      { at: 20_000, replicas: 3 },
    ]);
    assert.equal(runExtreme(runs, 25_000, 30_000, 'max', 0), 4);
    assert.equal(runExtreme(runs, 25_000, 15_000, 'max', 0), 3, '4 ended at 10 s, before the window');
    assert.equal(runExtreme(runs, 25_000, 16_000, 'min', 9), 2);
    assert.equal(runExtreme(runs, 25_000, 0, 'min', 9), 3, 'a zero window sees the current run only');
  });
  it('forgets runs that ended before the kept span', () => {
    let runs = recordRun([], 0, 5, 60_000);
    runs = recordRun(runs, 10_000, 1, 60_000);
    runs = recordRun(runs, 100_000, 2, 60_000);
    assert.deepEqual(
      runs.map((r) => r.replicas),
      [1, 2],
      'the 1 still held 60 s before 100 s',
    );
  });
});

describe('quantile over runs', () => {
  const runs = [
    { at: 0, replicas: 2 },
    { at: 60_000, replicas: 5 },
    { at: 90_000, replicas: 3 },
    { at: 240_000, replicas: 4 },
  ];
  it('weighs each run by the time it held in the window', () => {
    // in (0, 300 s]: 2 for 60 s, 5 for 30 s, 3 for 150 s, 4 for 60 s
    assert.equal(runQuantile(runs, 300_000, 300_000, 1, 0), 5);
    assert.equal(runQuantile(runs, 300_000, 300_000, 0.9, 0), 5, 'the top 10% (30 s) is the 5');
    assert.equal(runQuantile(runs, 300_000, 300_000, 0.8, 0), 4, '5 and 4 cover 90 s = 30%');
    assert.equal(runQuantile(runs, 300_000, 300_000, 0.5, 0), 3);
    assert.equal(runQuantile(runs, 300_000, 300_000, 0, 0), 2);
    assert.equal(runQuantile(runs, 300_000, 100_000, 0.8, 0), 4, 'only the 3 and the 4 in the last 100 s');
    assert.equal(runQuantile([], 300_000, 100_000, 0.8, 7), 7);
    assert.equal(runQuantile(runs, 240_000, 0, 0.5, 0), 4, 'a zero window sees the run that starts now');
  });
});
