import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateColdStartMs } from './coldstart.js';

describe('estimateColdStartMs', () => {
  it('is the median of the last 10 starts', () => {
    assert.equal(estimateColdStartMs([100, 300, 200], 5), 200);
    assert.equal(estimateColdStartMs([100, 200, 300, 400], 5), 250);
    // the eleventh-newest (a 10-minute outlier) no longer counts; one slow start does not move the median much
    const d = [600_000, 180_000, 190_000, 200_000, 170_000, 900_000, 185_000, 175_000, 195_000, 205_000, 210_000];
    assert.equal(estimateColdStartMs(d, 1), 192_500);
  });
  it('falls back when there is nothing valid', () => {
    assert.equal(estimateColdStartMs([], 240_000), 240_000);
    assert.equal(estimateColdStartMs([NaN, -1], 240_000), 240_000);
  });
});
