import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyWindow, recordCompletion, recordFirstToken } from './window-stats.js';

test('a first token adds its TTFT and wait to the lists and its prefill (TTFT - wait, never below 0) and prompt tokens to the sums', () => {
  const w = emptyWindow();
  recordFirstToken(w, 120, 100, 64);
  recordFirstToken(w, 50, 60, 16);
  assert.deepEqual([w.ttftMs, w.waitMs, w.firstTokens, w.prefillMs, w.promptTokens], [[120, 50], [100, 60], 2, 20, 80]);
});

test('a completion adds its slot time; its inter-token latency counts only for a stream of 2+ tokens', () => {
  const w = emptyWindow();
  recordCompletion(w, 1_000, 301, 6_000);
  assert.deepEqual([w.completions, w.serviceMs, w.itlRequests, w.itlMs], [1, 1_000, 1, 20]);
  recordCompletion(w, 200, 1, 0);
  recordCompletion(w, 300, 40, undefined);
  recordCompletion(w, 400, undefined, 100);
  assert.deepEqual([w.completions, w.serviceMs, w.itlRequests, w.itlMs], [4, 1_900, 1, 20]);
});
