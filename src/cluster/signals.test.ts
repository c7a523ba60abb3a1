import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { withRemote } from '../history/window.js';
import { gatewayReportSchema, RemoteSignals, STALE_MS } from './signals.js';

const report = (gateway: string, deployments: { id: string; ongoing: number; queued: number; arrivals: number; ttftMs: number[] }[], wake: string[] = []) =>
  gatewayReportSchema.parse({ gateway, deployments, wake });

test('the leader adds up what fresh follower gateways hold, and forgets a gateway that stopped reporting', () => {
  const clock = new FakeClock(1_000);
  const s = new RemoteSignals(clock);
  s.receive(report('b', [{ id: 'd1', ongoing: 3, queued: 1, arrivals: 5, ttftMs: [100, 200] }]));
  s.receive(report('c', [{ id: 'd1', ongoing: 2, queued: 0, arrivals: 1, ttftMs: [300] }, { id: 'd2', ongoing: 1, queued: 0, arrivals: 0, ttftMs: [] }]));
  assert.deepEqual(s.current('d1'), { ongoing: 5, queued: 1 });
  assert.deepEqual(s.take('d1'), { ongoing: 5, queued: 1, arrivals: 6, ttftMs: [100, 200, 300], tokens: 0 });
  // arrivals and TTFTs are handed out once; what is held now stays until the next report
  assert.deepEqual(s.take('d1'), { ongoing: 5, queued: 1, arrivals: 0, ttftMs: [], tokens: 0 });
  // a newer report of a gateway replaces its numbers
  s.receive(report('b', [{ id: 'd1', ongoing: 0, queued: 0, arrivals: 0, ttftMs: [] }]));
  assert.deepEqual(s.current('d1'), { ongoing: 2, queued: 0 });
  clock.advance(STALE_MS + 1);
  assert.deepEqual(s.current('d1'), { ongoing: 0, queued: 0 });
  assert.deepEqual(s.gateways(), []);
});

test('follower request rows go to the leader\'s log; their completion tokens count once, for served requests only', () => {
  const got: unknown[] = [];
  const s = new RemoteSignals(new FakeClock(), (rows) => got.push(...rows));
  s.receive(gatewayReportSchema.parse({ gateway: 'b', deployments: [], requests: [['d1', 1, 10, 7, 50, 200], ['d1', 2, 10, 16, null, 503], ['d2', 3, 5, 3, 20, 200]] }));
  assert.equal(got.length, 3);
  assert.equal(s.take('d1').tokens, 7);
  assert.equal(s.take('d1').tokens, 0);
  assert.equal(s.take('d2').tokens, 3);
});

test('a report returns the deployments to wake, and a malformed report is refused naming the field', () => {
  const s = new RemoteSignals(new FakeClock());
  assert.deepEqual(s.receive(report('b', [{ id: 'd1', ongoing: 0, queued: 2, arrivals: 2, ttftMs: [] }], ['d1'])), ['d1']);
  const bad = gatewayReportSchema.safeParse({ gateway: 'b', deployments: [{ id: 'd1', ongoing: -1, queued: 0, arrivals: 0, ttftMs: [] }] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0].path, ['deployments', 0, 'ongoing']);
});

test('a local sample plus remote load: counts add, the TTFT p95 is over all values', () => {
  const local = { at: 5, ongoing: 1, queued: 0, arrivals: 2, ttftMs: [10, 20], ttftP95Ms: 20 };
  const merged = withRemote(local, { ongoing: 4, queued: 3, arrivals: 7, ttftMs: Array.from({ length: 18 }, () => 1_000) });
  assert.equal(merged.ongoing, 5);
  assert.equal(merged.queued, 3);
  assert.equal(merged.arrivals, 9);
  assert.equal(merged.ttftP95Ms, 1_000);
  assert.equal(withRemote(local, { ongoing: 0, queued: 0, arrivals: 0, ttftMs: [] }), local);
});
