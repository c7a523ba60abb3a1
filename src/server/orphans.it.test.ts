import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { dataFiles } from '../config/paths.js';
import { deploymentRow } from '../test/rows.js';
import { startTestServer, waitFor, pidAlive, FAST_SIM, CLI } from '../test/harness.js';
import { REPLICA_ID_ENV, REPLICA_OWNER_ENV } from '../providers/local/identity.js';

// A server that crashed between spawning a replica and saving its pid: at the next start the process is
// found by its environment (this data dir, a replica id) and stopped, so its GPU is not in use twice.
// Real processes, a real server. Linux only (the sweep reads /proc).
async function idle(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true, env: { ...process.env, ...env } });
  await new Promise((r, j) => child.once('spawn', r).once('error', j));
  return child;
}

test('an orphan replica process of this data dir is stopped at start; one of another data dir is left alone; its GPU is held once', {
  skip: process.platform !== 'linux',
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'inferscale-orphan-'));
  const store = new Store(openDb(dataFiles(dataDir).db, SCHEMA));
  store.insertDeployment(deploymentRow({ gpuCount: 1, gpuType: 'a5000', replicas: 1, engineParams: FAST_SIM }));
  // the row as the crash left it: starting on GPU 0, no pid recorded
  store.insertReplica({
    id: 'chat-orphan',
    deploymentId: 'd1',
    state: 'starting',
    stateReason: 'starting engine',
    gpus: [0],
    pid: null,
    pidStart: null,
    port: null,
    generation: 1,
    createdAt: 0,
    startedAt: 0,
    readyAt: null,
    stoppedAt: null,
    coldStartMs: null,
    exitInfo: '',
  });
  store.db.close();
  const orphan = await idle({ [REPLICA_ID_ENV]: 'chat-orphan', [REPLICA_OWNER_ENV]: resolve(dataDir) });
  const otherDirs = await idle({ [REPLICA_ID_ENV]: 'chat-orphan', [REPLICA_OWNER_ENV]: '/somewhere/else' });
  const t = await startTestServer({ dataDir, virtualGpus: 1 });
  try {
    assert.equal(pidAlive(orphan.pid!), false, 'stopped before the controller started');
    assert.equal(pidAlive(otherDirs.pid!), true, "another server's replica is not touched");
    const ready = await waitFor(() => t.server.store.listLiveReplicas().find((r) => r.state === 'ready'), { timeoutMs: 20_000, what: 'the replacement ready' });
    assert.deepEqual(ready!.gpus, [0]);
    assert.equal(t.server.store.listLiveReplicas().length, 1, 'GPU 0 held by one replica');
    assert.equal(t.server.store.listReplicas('d1').find((r) => r.id === 'chat-orphan')!.state, 'failed');
  } finally {
    otherDirs.kill('SIGKILL');
    orphan.kill('SIGKILL');
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a second server on the same data dir exits with a message naming the first (pid and port)', async () => {
  const t = await startTestServer({ virtualGpus: 1 });
  try {
    const second = spawn(process.execPath, [CLI, 'server', '--data-dir', t.dataDir, '--port', '0', '--virtual-gpus', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    second.stdout!.on('data', (d) => (out += d));
    second.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => second.once('exit', r));
    assert.notEqual(code, 0);
    assert.match(out, new RegExp(`in use by another inferscale server: pid ${process.pid}, port ${t.server.port}`));
  } finally {
    await t.close();
  }
});
