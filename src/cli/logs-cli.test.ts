import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplicaRow } from '../store/store.js';
import { cliUnderTest } from './testkit.js';

/** Resolves when `check()` holds, polling every 10 ms; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A deployment with two started replicas whose logs (the local provider's files, in tmpdir) the test writes. */
async function withLogs() {
  const t = await cliUnderTest();
  const name = `logs-${randomUUID().slice(0, 8)}`;
  assert.equal((await t.call('POST', '/deployments', { name, modelName: 'm', replicas: 0 })).status, 201);
  const d = t.store.getDeploymentByName(name)!;
  const now = t.clock.now();
  const replica = (id: string, startedAt: number): ReplicaRow => ({
    id,
    deploymentId: d.id,
    state: 'ready',
    stateReason: '',
    gpus: [0],
    pid: null,
    port: null,
    createdAt: startedAt,
    startedAt,
    readyAt: startedAt,
    stoppedAt: null,
    coldStartMs: null,
    generation: 1,
    exitInfo: '',
  });
  t.store.insertReplica(replica('r-old', now - 3_600_000));
  t.store.insertReplica(replica('r-new', now - 60_000));
  const dir = join(tmpdir(), name);
  mkdirSync(dir, { recursive: true });
  const iso = (ago: number) => new Date(now - ago).toISOString();
  writeFileSync(join(dir, 'r-old.log'), `${iso(3_600_000)} old start\n${iso(1_200_000)} old 20m ago\n${iso(300_000)} old 5m ago\n`);
  writeFileSync(join(dir, 'r-new.log'), 'new undated 1\nnew undated 2\n');
  return {
    ...t,
    name,
    deploymentId: d.id,
    log: (id: string, text: string) => appendFileSync(join(dir, `${id}.log`), text),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('logs --since and --replica: through the API (validated) and the CLI', async (t) => {
  const { cli, call, close, name, cleanup } = await withLogs();
  t.after(async () => {
    cleanup();
    await close();
  });
  const all = await cli(['deployment', 'logs', name, '--tail', '100']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout.trimEnd().split('\n').length, 5);
  const since = await cli(['deployment', 'logs', name, '--tail', '100', '--since', '10m']);
  assert.deepEqual(
    since.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/ \S+Z /, ' T ')),
    ['[r-old] T old 5m ago', '[r-new] new undated 1', '[r-new] new undated 2'],
  );
  const one = await cli(['deployment', 'logs', name, '--replica', 'r-new']);
  assert.equal(one.stdout, '[r-new] new undated 1\n[r-new] new undated 2\n');

  const bad = await call('GET', `/deployments/${name}/logs?since=ten`);
  assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.field], [400, 'invalid_argument', 'since']);
  const noReplica = await call('GET', `/deployments/${name}/logs?replica=r-nope`);
  assert.deepEqual([noReplica.status, noReplica.body.error.message], [404, 'replica "r-nope" not found']);
  const cliBad = await cli(['deployment', 'logs', name, '--since', 'ten']);
  assert.equal(cliBad.code, 2);
  assert.match(cliBad.stderr, /^error \(invalid_argument\): since: "ten" is not a duration/);
  assert.equal((await cli(['deployment', 'logs', name, '--replica', 'r-nope'])).code, 3);
});

test('logs -f prints the backlog, then each new line once, and ends when the deployment is deleted', async (t) => {
  const { cli, close, name, store, clock, deploymentId, log, cleanup } = await withLogs();
  t.after(async () => {
    cleanup();
    await close();
  });
  let out = '';
  const following = cli(['deployment', 'logs', name, '-f', '--tail', '1', '--interval', '100ms'], { onStdout: (s) => (out = s) });
  await until(() => out.includes('new undated 2'), 'the backlog');
  assert.match(out, /^\[r-old\] \S+ old 5m ago\n\[r-new\] new undated 2\n$/, '--tail 1 of each replica');
  log('r-new', 'new line 3\n');
  log('r-old', 'old line 4\nold line 5\n');
  await until(() => out.includes('old line 5') && out.includes('new line 3'), 'the new lines');
  log('r-new', 'new line 6\n');
  await until(() => out.includes('new line 6'), 'one more line');
  log('r-old', 'old last words\n');
  store.updateReplica('r-old', { state: 'stopped', stoppedAt: clock.now() });
  await until(() => out.includes('old last words'), 'the last lines of a replica that stopped');
  log('r-old', 'written after it stopped\n');
  log('r-new', 'new line 7\n');
  await until(() => out.includes('new line 7'), 'a line after the stop');
  store.deleteDeployment(deploymentId);
  const r = await following;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `${name}: deleted\n`);
  const lines = r.stdout.trimEnd().split('\n');
  for (const line of ['[r-new] new line 3', '[r-old] old line 4', '[r-old] old line 5', '[r-new] new line 6', '[r-old] old last words', '[r-new] new line 7'])
    assert.equal(lines.filter((l) => l === line).length, 1, `${line}: once`);
  assert.equal(lines.length, 8, 'a stopped replica is left after its last read');
});
