import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSimMainArgs } from './main.js';

test('parseSimMainArgs separates process flags from engine flags', () => {
  const a = parseSimMainArgs(['--port', '0', '--itl-ms', '1', '--model-name=m', '--host', '0.0.0.0', '--jitter=0']);
  assert.deepEqual(a, { port: 0, host: '0.0.0.0', modelName: 'm', engineArgs: ['--itl-ms', '1', '--jitter=0'], help: false });
  assert.equal(parseSimMainArgs([]).port, 8000);
  assert.throws(() => parseSimMainArgs(['--port', '70000']), /--port must be an integer between 0 and 65535/);
  assert.throws(() => parseSimMainArgs(['--port']), /--port needs a value/);
});
