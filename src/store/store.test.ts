import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from './db.js';
import { SCHEMA } from './schema.js';
import { Store } from './store.js';

test('events are pruned by age and by count, per deployment, the newest kept', () => {
  const store = new Store(openDb(':memory:', SCHEMA));
  const day = 86_400_000;
  const now = 100 * day;
  for (let i = 0; i < 30; i++) store.addEvent('a', now - (40 - i) * day, 'x', `a${i}`); // a0..a9 older than 30 days
  for (let i = 0; i < 5; i++) store.addEvent('b', now - 1000 + i, 'x', `b${i}`);
  store.pruneEvents('a', now, 30 * day, 15);
  const a = store.listEvents('a', { limit: 100 }).map((e) => e.message);
  assert.deepEqual(a, Array.from({ length: 15 }, (_, i) => `a${i + 15}`), 'past 30 days gone, then the newest 15 kept');
  store.pruneEvents('a', now, 30 * day, 15);
  assert.equal(store.listEvents('a', { limit: 100 }).length, 15, 'at the bound: nothing more goes');
  assert.equal(store.listEvents('b', { limit: 100 }).length, 5, 'another deployment untouched');
  store.pruneEvents('b', now);
  assert.equal(store.listEvents('b', { limit: 100 }).length, 5);
});
