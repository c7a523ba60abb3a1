import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamUsage, lastUsage } from './usage.js';
import { chatAnswer, chatStream } from '../test/engine-answers.js';

const b = (s: string) => Buffer.from(s);

test('usage is read whatever the field order: vLLM (prompt, total, completion, details), SGLang, OpenAI', () => {
  assert.deepEqual(lastUsage(b(chatAnswer('vllm', 'm', 'hi', 12, 34))), { promptTokens: 12, completionTokens: 34 });
  assert.deepEqual(lastUsage(b(chatAnswer('sglang', 'm', 'hi', 5, 6))), { promptTokens: 5, completionTokens: 6 });
  assert.deepEqual(lastUsage(b('{"usage": {"completion_tokens": 2, "prompt_tokens": 1, "total_tokens": 3}}')), { promptTokens: 1, completionTokens: 2 });
  assert.deepEqual(lastUsage(b('{"usage":{"prompt_tokens":1,"total_tokens":3,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1}}}')), {
    promptTokens: 1,
    completionTokens: 2,
  });
});

test('a "usage" inside generated text is not taken for the usage; null and absent usage give none', () => {
  const text = 'say "usage": {"prompt_tokens": 999, "completion_tokens": 999}';
  assert.deepEqual(lastUsage(b(chatAnswer('vllm', 'm', text, 3, 4))), { promptTokens: 3, completionTokens: 4 });
  assert.equal(lastUsage(b('{"choices":[],"usage":null}')), undefined);
  assert.equal(lastUsage(b('{"choices":[]}')), undefined);
  assert.equal(lastUsage(b('{"usage":{"prompt_tokens":1')), undefined);
});

test('a large answer: the usage is found near the end, and far from it within the scan bound', () => {
  const big = chatAnswer('vllm', 'm', 'x'.repeat(3 << 20), 7, 8);
  assert.deepEqual(lastUsage(b(big)), { promptTokens: 7, completionTokens: 8 });
  const farFromEnd = `{"usage":{"prompt_tokens":1,"total_tokens":3,"completion_tokens":2},"prompt_logprobs":"${'y'.repeat(200_000)}"}`;
  assert.deepEqual(lastUsage(b(farFromEnd)), { promptTokens: 1, completionTokens: 2 });
});

for (const flavour of ['vllm', 'sglang'] as const) {
  test(`${flavour} stream: the usage-only event is read and stripped when the client did not ask; kept when it did`, () => {
    const events = chatStream(flavour, 'm', ['a', 'b', 'c'], 9, true);
    const whole = events.join('');
    // split at awkward places: mid-event, mid-key
    const cuts = [5, whole.indexOf('"usage":{') + 3, whole.length - 20];
    const chunks = [whole.slice(0, cuts[0]), whole.slice(cuts[0], cuts[1]), whole.slice(cuts[1], cuts[2]), whole.slice(cuts[2])].map(b);
    const strip = new StreamUsage(true);
    const out = Buffer.concat([...chunks.map((c) => strip.push(c)), strip.end()]).toString();
    assert.equal(out, [...events.slice(0, 3), events[4]].join(''));
    assert.deepEqual(strip.result(), { promptTokens: 9, completionTokens: 3 });

    const keep = new StreamUsage(false);
    assert.equal(Buffer.concat(events.map((e) => keep.push(b(e)))).toString(), whole);
    assert.deepEqual(keep.result(), { promptTokens: 9, completionTokens: 3 });
  });
}

test('stripping passes whole events that carry no usage through untouched (same buffer)', () => {
  const strip = new StreamUsage(true);
  const chunk = b('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
  assert.equal(strip.push(chunk), chunk);
  assert.equal(strip.result(), undefined);
});
