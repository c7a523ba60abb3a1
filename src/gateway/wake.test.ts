import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WakeFanOut } from './wake.js';

test('a wake reaches every subscriber, and no longer one that unsubscribed', () => {
  const w = new WakeFanOut();
  const heard: string[] = [];
  w.subscribe((id) => heard.push(`autoscaler:${id}`));
  const off = w.subscribe((id) => heard.push(`keda:${id}`));
  w.wake('d1');
  off();
  w.wake('d2');
  assert.deepEqual(heard, ['autoscaler:d1', 'keda:d1', 'autoscaler:d2']);
});

test('while diverted, wakes go to the diversion alone; restored, to the subscribers again', () => {
  const w = new WakeFanOut();
  const heard: string[] = [];
  w.subscribe((id) => heard.push(`local:${id}`));
  const restore = w.divert((id) => heard.push(`leader:${id}`));
  w.wake('d1');
  restore();
  w.wake('d2');
  assert.deepEqual(heard, ['leader:d1', 'local:d2']);
});
