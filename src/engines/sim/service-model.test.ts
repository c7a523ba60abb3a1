import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SIM_PARAMS, type SimEngineParams } from './params.js';
import {
  countTokens,
  expectedServiceMs,
  expectedTtftMs,
  interTokenMs,
  jitterFactor,
  prefillMs,
  promptTokensOfChat,
  promptTokensOfCompletion,
  slowdownFactor,
} from './service-model.js';

const p: SimEngineParams = { ...DEFAULT_SIM_PARAMS, ttftMs: 40, prefillMsPerToken: 0.5, itlMs: 10, slowdownPerSeq: 0.1, jitter: 0.2 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('countTokens: word runs and punctuation marks', () => {
  assert.equal(countTokens(''), 0);
  assert.equal(countTokens('   '), 1, 'non-empty counts at least 1');
  assert.equal(countTokens('hello'), 1);
  assert.equal(countTokens('Hello, world!'), 4);
  assert.equal(countTokens("don't stop_now 42"), 5); // don ' t stop_now 42
  assert.equal(countTokens('héllo wörld'), 2);
});

test('prompt token counts of chat and completion requests', () => {
  assert.equal(promptTokensOfChat([{ role: 'user', content: 'Hello, world!' }]), 8);
  assert.equal(
    promptTokensOfChat([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'hi there' }] },
      { role: 'assistant', content: null },
    ]),
    4 + 2 + 4 + 2 + 4,
  );
  assert.equal(promptTokensOfCompletion('one two three'), 3);
  assert.equal(promptTokensOfCompletion(['one', 'two three']), 3);
  assert.equal(promptTokensOfCompletion(''), 1);
});

test('slowdown and jitter factors', () => {
  assert.equal(slowdownFactor(1, p), 1);
  assert.equal(slowdownFactor(0, p), 1);
  close(slowdownFactor(5, p), 1.4);
  assert.equal(
    jitterFactor(p, () => 0.5),
    1,
  );
  close(
    jitterFactor(p, () => 0),
    0.8,
  );
  close(
    jitterFactor(p, () => 0.75),
    1.1,
  );
  assert.equal(
    jitterFactor({ ...p, jitter: 0 }, () => 0),
    1,
  );
});

test('prefillMs = (ttft + perToken * prompt) * slowdown * jitter', () => {
  close(
    prefillMs(100, 1, p, () => 0.5),
    40 + 50,
  );
  close(
    prefillMs(100, 3, p, () => 0.5),
    90 * 1.2,
  );
  close(
    prefillMs(100, 3, p, () => 0),
    90 * 1.2 * 0.8,
  );
});

test('interTokenMs = itl * slowdown * jitter', () => {
  close(
    interTokenMs(1, p, () => 0.5),
    10,
  );
  close(
    interTokenMs(11, p, () => 0.5),
    20,
  );
  close(
    interTokenMs(11, p, () => 1 - 1e-12),
    20 * 1.2,
  );
});

test('expectedServiceMs: prefill plus (n-1) gaps, no jitter', () => {
  close(expectedTtftMs(100, 3, p), 108);
  close(expectedServiceMs(100, 1, 1, p), 90);
  close(expectedServiceMs(100, 11, 1, p), 90 + 10 * 10);
  close(expectedServiceMs(100, 11, 3, p), (90 + 10 * 10) * 1.2);
  close(expectedServiceMs(100, 0, 1, p), 90);
});
