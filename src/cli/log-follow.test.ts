import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLines } from './log-follow.js';

test('newLines: what a later tail window holds after the lines already printed', () => {
  assert.deepEqual(newLines([], ['a', 'b']), ['a', 'b'], 'nothing printed yet: all new');
  assert.deepEqual(newLines(['a', 'b', 'c'], ['b', 'c', 'd', 'e']), ['d', 'e'], 'the window slid and grew');
  assert.deepEqual(newLines(['a', 'b'], ['x', 'a', 'b']), [], 'nothing written since');
  assert.deepEqual(newLines(['c'], ['a', 'b', 'c', 'd']), ['d'], 'a short backlog (--tail 1) is found in a longer window');
  assert.deepEqual(newLines(['a', 'b'], ['x', 'y']), ['x', 'y'], 'rotated or overrun: the whole window is new');
  assert.deepEqual(newLines(['ok', 'ok'], ['ok', 'ok', 'ok', 'ok', 'done']), ['done'], 'the last occurrence of the anchor counts');
});
