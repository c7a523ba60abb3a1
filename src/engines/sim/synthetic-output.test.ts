import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens } from './service-model.js';
import { EMBEDDING_DIMS, embeddingOf, fillerPiece, fillerText } from './synthetic-output.js';

test('filler text has exactly one token per word', () => {
  for (const n of [1, 2, 16, 100]) {
    assert.equal(countTokens(fillerText(n)), n);
    assert.equal(countTokens(fillerText(n, true)), n);
  }
  assert.equal(fillerPiece(0, false), 'the');
  assert.equal(fillerPiece(1, false), ' quick');
  assert.equal(fillerText(3), 'the quick brown');
});

test('embeddings are deterministic unit vectors', () => {
  const a = embeddingOf('hello');
  assert.equal(a.length, EMBEDDING_DIMS);
  assert.deepEqual(embeddingOf('hello'), a);
  assert.notDeepEqual(embeddingOf('hello!'), a);
  const norm = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-5);
});
