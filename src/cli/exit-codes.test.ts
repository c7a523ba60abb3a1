import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { InferscaleError } from '../core/errors.js';
import { ApiError } from './client.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { cliUnderTest } from './testkit.js';

test('exit codes are distinct and map the API codes, the client failures and usage errors', () => {
  assert.equal(new Set(Object.values(EXIT)).size, Object.keys(EXIT).length);
  const cases: [unknown, number][] = [
    [new CommanderError(0, 'commander.helpDisplayed', ''), 0],
    [new CommanderError(1, 'commander.unknownOption', ''), 2],
    [new InferscaleError('invalid_argument', 'x'), 2],
    [new ApiError(404, 'not_found', 'x'), 3],
    [new ApiError(410, 'deployment_deleted', 'x'), 3],
    [new ApiError(401, 'unauthorized', 'x'), 4],
    [new ApiError(403, 'forbidden', 'x'), 4],
    [new ApiError(0, 'unreachable', 'x'), 5],
    [new ApiError(504, 'timeout', 'x'), 6],
    [new ApiError(504, 'upstream_timeout', 'x'), 6],
    [new ApiError(409, 'already_exists', 'x'), 7],
    [new ApiError(409, 'model_in_use', 'x'), 7],
    [new ApiError(500, 'internal', 'x'), 1],
    [new ApiError(500, 'deployment_error', 'x'), 1],
    [new ApiError(404, 'some_future_code', 'x'), 3],
    [new Error('boom'), 1],
  ];
  for (const [err, code] of cases) assert.equal(exitCodeFor(err), code, String((err as Error).message || (err as { code: string }).code));
});

test('--wait-timeout takes a duration; giving up exits 6, with plain progress lines off a TTY and one rewritten line on one', async (t) => {
  const { cli, close } = await cliUnderTest();
  t.after(close);
  const plain = await cli(['deployment', 'create', 'chat', '--model-name', 'm', '--wait', '--wait-timeout', '700ms']);
  assert.equal(plain.code, 6);
  assert.equal(plain.stdout, '');
  assert.match(plain.stderr, /^chat: creating: [^\n]*\nerror \(timeout\): gave up waiting for chat after 1s \(status creating: /);
  const tty = await cli(['deployment', 'scale', 'chat', '2', '--wait', '--wait-timeout', '1s'], { tty: true });
  assert.equal(tty.code, 6);
  assert.match(tty.stderr, /^\rchat: \w+: [^\n]*\(0\/2 ready, \d+s\)[^\n]*\nerror \(timeout\): gave up waiting for chat after 1s/);
  const idle = await cli(['deployment', 'create', 'idle', '--model-name', 'm', '--replicas', '0', '--wait', '--wait-timeout', '30']);
  assert.equal(idle.code, 0, `a bare number is seconds: ${idle.stderr}`);
});
