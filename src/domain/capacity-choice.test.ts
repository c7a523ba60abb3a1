import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCapacity, type CapacityChoiceInput } from './capacity-choice.js';

const mixed = (over: Partial<CapacityChoiceInput>): CapacityChoiceInput => ({
  spec: { capacity: 'mixed', onDemandFloor: 2 },
  onDemand: 2,
  spot: 3,
  spotShortSince: undefined,
  now: 1_000_000,
  fallbackAfterMs: 300_000,
  ...over,
});

test('chooseCapacity: the floor is filled on-demand before any spot, whatever spot does', () => {
  assert.equal(chooseCapacity(mixed({ onDemand: 1 })), 'on-demand');
  assert.equal(chooseCapacity(mixed({ onDemand: 1, spotShortSince: undefined, spot: 0 })), 'on-demand');
  assert.equal(chooseCapacity(mixed({ onDemand: 2 })), 'spot');
});

test('chooseCapacity: falls back exactly at the bound, not a millisecond before', () => {
  assert.equal(chooseCapacity(mixed({ spotShortSince: 700_001 })), 'spot');
  assert.equal(chooseCapacity(mixed({ spotShortSince: 700_000 })), 'on-demand');
});

test('chooseCapacity: spot only never falls back; on-demand only never asks for spot', () => {
  assert.equal(chooseCapacity(mixed({ spec: { capacity: 'spot', onDemandFloor: 0 }, onDemand: 0, spotShortSince: 0 })), 'spot');
  assert.equal(chooseCapacity(mixed({ spec: { capacity: 'on-demand', onDemandFloor: 0 }, onDemand: 9 })), 'on-demand');
});
