import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock, type Clock } from '../core/clock.js';
import { RouteTable } from '../gateway/route-table.js';
import { WakeFanOut } from '../gateway/wake.js';
import { waitFor } from '../test/harness.js';
import { loadSample } from '../history/window.js';
import { emptyWindow, recordCompletion, recordFirstToken } from '../gateway/window-stats.js';
import { gatewayReportSchema, RemoteSignals, SignalReporter, STALE_MS } from './signals.js';

const report = (gateway: string, deployments: { id: string; ongoing: number; queued: number; arrivals: number; ttftMs: number[] }[], wake: string[] = []) =>
  gatewayReportSchema.parse({ gateway, deployments, wake });

test('the leader adds up what fresh follower gateways hold, and forgets a gateway that stopped reporting', () => {
  const clock = new FakeClock(1_000);
  const s = new RemoteSignals(clock);
  s.receive(report('b', [{ id: 'd1', ongoing: 3, queued: 1, arrivals: 5, ttftMs: [100, 200] }]));
  s.receive(
    report('c', [
      { id: 'd1', ongoing: 2, queued: 0, arrivals: 1, ttftMs: [300] },
      { id: 'd2', ongoing: 1, queued: 0, arrivals: 0, ttftMs: [] },
    ]),
  );
  assert.deepEqual(s.current('d1'), { ongoing: 5, queued: 1 });
  assert.deepEqual(s.take('d1'), { ...emptyWindow(), ongoing: 5, queued: 1, arrivals: 6, ttftMs: [100, 200, 300], tokens: 0 });
  // arrivals and TTFTs are handed out once; what is held now stays until the next report
  assert.deepEqual(s.take('d1'), { ...emptyWindow(), ongoing: 5, queued: 1, tokens: 0 });
  // a newer report of a gateway replaces its numbers
  s.receive(report('b', [{ id: 'd1', ongoing: 0, queued: 0, arrivals: 0, ttftMs: [] }]));
  assert.deepEqual(s.current('d1'), { ongoing: 2, queued: 0 });
  clock.advance(STALE_MS + 1);
  assert.deepEqual(s.current('d1'), { ongoing: 0, queued: 0 });
  assert.deepEqual(s.gateways(), []);
});

test("follower request rows go to the leader's log; their completion tokens count once, for served requests only", () => {
  const got: unknown[] = [];
  const s = new RemoteSignals(new FakeClock(), (rows) => got.push(...rows));
  s.receive(
    gatewayReportSchema.parse({
      gateway: 'b',
      deployments: [],
      requests: [
        ['d1', 1, 10, 7, 50, 200],
        ['d1', 2, 10, 16, null, 503],
        ['d2', 3, 5, 3, 20, 200],
      ],
    }),
  );
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

test('a follower reports its whole window (wait, prefill, completions); the leader merges it with a report of an older version that has arrivals and TTFT only', async () => {
  const clock = new FakeClock(1_000);
  const routes = new RouteTable(clock);
  routes.sync(
    {
      id: 'd1',
      name: 'chat',
      apiKeyHash: Buffer.alloc(32),
      modelName: 'm',
      status: 'ready',
      autoscale: null,
      deleting: false,
      replicas: 0,
      maxOngoingRequests: 4,
      maxQueuedRequests: 10,
      queueTimeoutMs: 1000,
    } as any,
    [],
  );
  const stats = routes.getById('d1')!.stats;
  stats.arrivals = 2;
  recordFirstToken(stats, 400, 300, 20);
  recordFirstToken(stats, 200, 100, 40);
  recordCompletion(stats, 2_000, 11, 1_000);
  // a real HTTP "leader" that fails the first report and takes the second
  const posted: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posted.push(JSON.parse(body));
      res.statusCode = posted.length === 1 ? 500 : 200;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const reporter = new SignalReporter({
    routes,
    wakes: new WakeFanOut(),
    clock,
    identity: 'b',
    internalToken: 't',
    log: () => undefined,
    leaderUrl: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  try {
    await reporter.send();
    // the first report failed: the window stays unsent and goes, whole, with the next one
    await reporter.send();
  } finally {
    server.close();
  }
  assert.equal(posted.length, 2);
  const leader = new RemoteSignals(clock);
  leader.receive(gatewayReportSchema.parse(posted[1]));
  leader.receive(report('c', [{ id: 'd1', ongoing: 1, queued: 2, arrivals: 3, ttftMs: [10, 20] }]));
  const local = { stats: { ...emptyWindow(), lastActivityAt: 0 }, admission: { ongoing: 1, queued: 0 } };
  const s = loadSample(local, 5_000, 'history', leader.take('d1'));
  assert.deepEqual(
    { ...s, ttftMs: [...s.ttftMs].sort((a, b) => a - b) },
    {
      at: 5_000,
      ongoing: 2,
      queued: 2,
      arrivals: 5,
      ttftMs: [10, 20, 200, 400],
      ttftP95Ms: 400,
      waitP95Ms: 300,
      prefillMs: 100,
      promptTokens: 30,
      completions: 1,
      serviceMs: 2_000,
      itlMs: 100,
    },
  );
});

test('a follower sends its copy position with each report, writes the rows of the answer, and asks again at once while the leader has more', async () => {
  // a real HTTP "leader" that answers with copy batches; a clock that records the delays asked for
  const delays: number[] = [];
  let due: (() => void) | undefined;
  const clock: Clock = { now: () => 0, setTimeout: (fn, ms) => (delays.push(ms), (due = fn), { cancel: () => undefined }), sleep: async () => undefined };
  const cursors: unknown[] = [];
  const leader = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      cursors.push(JSON.parse(body).copy);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, copy: { n: cursors.length, more: cursors.length < 3 } }));
    });
  });
  await new Promise<void>((r) => leader.listen(0, '127.0.0.1', r));
  const applied: number[] = [];
  const reporter = new SignalReporter({
    routes: new RouteTable(clock),
    wakes: new WakeFanOut(),
    clock,
    identity: 'b',
    internalToken: 't',
    log: () => undefined,
    leaderUrl: () => `http://127.0.0.1:${(leader.address() as AddressInfo).port}`,
    copy: {
      cursor: () => ({ term: 'a@1', after: { history10s: applied.length, history5m: 0, events: 0, requests: 0, cost: 0, forgotten: 0 } }),
      apply: (batch) => (applied.push((batch as { n: number }).n), (batch as { more: boolean }).more),
    },
  });
  try {
    reporter.start();
    assert.deepEqual(delays, [1000]);
    for (let i = 1; i <= 3; i++) {
      due!();
      await waitFor(() => delays.length === i + 1, { what: `report ${i} answered` });
    }
    assert.deepEqual(applied, [1, 2, 3]);
    assert.deepEqual(delays, [1000, 0, 0, 1000], 'at once while the leader has more, then every second');
    assert.deepEqual(
      cursors.map((c) => (c as { after: { history10s: number } }).after.history10s),
      [0, 1, 2],
    );
  } finally {
    await reporter.stop();
    leader.close();
  }
});
