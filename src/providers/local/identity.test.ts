import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { processIdentity, REPLICA_ID_ENV } from './identity.js';

// Real processes: one carrying a replica id in its environment, one unrelated.
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

async function sleeper(env: Record<string, string> = {}): Promise<number> {
  const c = spawn('sleep', ['60'], { stdio: 'ignore', env: { ...process.env, ...env } });
  children.push(c);
  await new Promise((r, j) => c.once('spawn', r).once('error', j));
  return c.pid!;
}

const linux = process.platform === 'linux';

test('Linux: a process is the replica when its environment names it; its recorded start must match when one was recorded', {
  skip: !linux && 'no /proc here',
}, async () => {
  const id = processIdentity('linux');
  const mine = await sleeper({ [REPLICA_ID_ENV]: 'chat-abc123' });
  const other = await sleeper();
  assert.equal(id.isReplica(mine, 'chat-abc123', null), true, 'a row from before start times were recorded');
  const start = id.startOf(mine);
  assert.match(start ?? '', /^[0-9a-f-]{36}\/\d+$/);
  assert.equal(id.isReplica(mine, 'chat-abc123', start), true);
  assert.equal(id.isReplica(mine, 'chat-abc123', `${start}0`), false, 'a pid reused by a later process of the same replica id');
  assert.equal(id.isReplica(mine, 'chat-abc12', null), false, 'a prefix of the id is not the id');
  assert.equal(id.isReplica(other, 'chat-abc123', null), false, 'an unrelated process');
  assert.equal(id.isReplica(other, 'chat-abc123', id.startOf(other)), false, 'an unrelated process, even with its start recorded');
});

test('macOS (ps start time, exercised here where ps has -o lstart): the recorded start must match; without one, nothing is adopted', {
  skip: process.platform === 'win32' && 'no ps',
}, async () => {
  const id = processIdentity('darwin');
  const pid = await sleeper({ [REPLICA_ID_ENV]: 'chat-abc123' });
  const start = id.startOf(pid);
  assert.ok(start, 'ps gives a start time');
  assert.equal(id.isReplica(pid, 'chat-abc123', start), true);
  assert.equal(id.isReplica(pid, 'chat-abc123', 'Thu Jan  1 00:00:00 1970'), false);
  assert.equal(id.isReplica(pid, 'chat-abc123', null), false, 'no recorded start: refused');
});

test('Windows (neither /proc nor ps): nothing is ever shown to be a replica', async () => {
  const id = processIdentity('win32');
  const pid = await sleeper({ [REPLICA_ID_ENV]: 'x' });
  assert.equal(id.startOf(pid), undefined);
  assert.equal(id.isReplica(pid, 'x', null), false);
});

test('a pid with no process is no replica', () => {
  const id = processIdentity();
  assert.equal(id.startOf(2 ** 22 + 12345), undefined);
  assert.equal(id.isReplica(2 ** 22 + 12345, 'x', 'anything'), false);
});
