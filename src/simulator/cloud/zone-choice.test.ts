import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markPreempted, skyServeOnDemand, spotHedgeZone, spreadZone, zoneShareCap } from './zone-choice.js';

test('spreadZone: the up zone with the fewest spot replicas; -1 when none is up', () => {
  assert.equal(spreadZone([true, true, true], [2, 1, 1]), 1);
  assert.equal(spreadZone([true, false, true], [2, 0, 3]), 0);
  assert.equal(spreadZone([false, false], [0, 0]), -1);
});

test('zone share: a zone below its share of the spot replicas takes the next; none when every zone up is full', () => {
  assert.equal(zoneShareCap(6, 3), 2);
  assert.equal(zoneShareCap(7, 3), 3);
  assert.equal(zoneShareCap(0, 3), 1, 'a first spot replica always has room');
  assert.equal(spreadZone([true, true, true], [2, 2, 1], 2), 2);
  assert.equal(spreadZone([true, false, false], [1, 0, 0], 2), 0);
  assert.equal(spreadZone([true, false, false], [2, 0, 0], 2), -1, 'the only zone up holds its share: none');
});

test('SpotHedge: a zone found without spot is marked PREEMPTED; at most one ACTIVE left resets all', () => {
  assert.deepEqual(markPreempted([true, true, true], 0), [false, true, true]);
  assert.deepEqual(markPreempted([false, true, true], 1), [true, true, true]);
  // zone 0 (fewest) has no spot: marked, zone 2 (next fewest among ACTIVE) chosen
  assert.deepEqual(spotHedgeZone([true, true, true, true], [false, true, true, true], [0, 3, 1, 2]), { zone: 2, active: [false, true, true, true] });
  // a PREEMPTED zone is avoided even when it is up again
  assert.equal(spotHedgeZone([false, true, true], [true, true, true], [0, 2, 1]).zone, 2);
  assert.equal(spotHedgeZone([true, true], [false, false], [0, 0]).zone, -1);
});

test('skyServeOnDemand: B + max(0, (T - B) - readySpot), at most T', () => {
  assert.equal(skyServeOnDemand(5, 1, 4), 1);
  assert.equal(skyServeOnDemand(5, 1, 1), 4);
  assert.equal(skyServeOnDemand(5, 1, 0), 5);
  assert.equal(skyServeOnDemand(2, 3, 0), 2);
  assert.equal(skyServeOnDemand(0, 0, 0), 0);
});
