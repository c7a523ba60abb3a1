import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsTable, showLines, type MetricsResponse } from './cli.js';

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const m: MetricsResponse = {
  deployment: 'chat',
  resolutionMs: 1000,
  since: new Date(T0).toISOString(),
  latest: null,
  columns: {
    at: Array.from({ length: 20 }, (_, i) => T0 + i * 1000),
    requestRate: Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 4)),
    tokensPerSecond: Array(20).fill(40),
    ongoing: Array(20).fill(2),
    queued: Array(20).fill(0),
    ttftP50Ms: [...Array(19).fill(50), null],
    ttftP95Ms: [...Array(19).fill(90), null],
    desired: Array(20).fill(2),
    ready: Array(20).fill(2),
    starting: Array(20).fill(0),
    gpus: Array(20).fill(4),
  },
};

test('showLines: load over the last 10 s and cost, for `deployment show`', () => {
  assert.deepEqual(showLines(m, { burnRateUsdPerHour: 4, costUsd: 0.25, costPer1kRequestsUsd: 0.5 }), [
    ['Request Rate', '4.00/s, 40.0 tokens/s (last 10 s)'],
    ['Ongoing / Queued', '2.0 / 0.0'],
    ['TTFT p50 / p95', '50 ms / 90 ms'],
    ['Cost', '$4.00/h now, $0.2500 so far, $0.5000 per 1k requests'],
  ]);
  assert.deepEqual(showLines(undefined, undefined), []);
});

test('metricsTable: at most `rows` evenly spaced rows, newest last', () => {
  const out = metricsTable(m, 5).split('\n');
  assert.match(out[0], /^TIME\s+REQ\/S/);
  assert.equal(out.filter((l) => /^2025-01-06/.test(l)).length, 5);
  assert.match(out[5], /^2025-01-06 09:00:19\s+4\.00/);
  assert.match(metricsTable({ ...m, columns: { ...m.columns, at: [] } }), /no samples for chat/);
});
