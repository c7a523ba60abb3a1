import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { Store } from '../store/store.js';
import { deploymentRow } from '../test/rows.js';
import { virtualGpus } from '../placement/inventory.js';
import { Reconciler } from './reconciler.js';
import { RouteTable } from '../gateway/route-table.js';
import { pidAlive } from '../test/harness.js';
import type { Replica } from '../domain/types.js';
import { LocalProvider } from '../providers/local/provider.js';
import { processIdentity } from '../providers/local/identity.js';

// A server restarting over replica rows whose pids now belong to other programs (pid reuse): the real
// reconciler and the real local provider, with an unrelated live process at the recorded pid.
test('a replica row whose pid is now an unrelated process: not adopted, not signalled, the replica is replaced', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'inferscale-adopt-'));
  const store = new Store(openDb(':memory:', SCHEMA));
  // its own process group, so a wrong kill(-pid) could only reach it
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
  await new Promise((r, j) => stranger.once('spawn', r).once('error', j));
  const pid = stranger.pid!;
  const provider = new LocalProvider({ clock: systemClock, logDir });
  const routes = new RouteTable(systemClock);
  const rec = new Reconciler({
    store,
    providers: new Map([['local', provider]]),
    clock: systemClock,
    inventory: virtualGpus(2, 'a5000'),
    routes,
    log: () => undefined,
    tickMs: 3_600_000,
    stopGraceMs: 500,
  });
  try {
    // desired 0: a replica wrongly adopted would be drained and sent SIGTERM at once
    store.insertDeployment(deploymentRow({ gpuCount: 1, replicas: 0, status: 'ready', drainTimeoutMs: 0, everReady: true }));
    const row = (id: string, pidStart: string | null): Replica => ({
      id,
      deploymentId: 'd1',
      state: 'ready',
      stateReason: '',
      gpus: [0],
      pid,
      pidStart,
      port: 1,
      generation: 1,
      createdAt: 0,
      startedAt: 0,
      readyAt: 0,
      stoppedAt: null,
      coldStartMs: 1,
      exitInfo: '',
    });
    store.insertReplica(row('chat-old', null)); // a row from a server that recorded no start
    store.insertReplica(row('chat-reused', processIdentity().startOf(pid) === undefined ? 'then' : 'Thu Jan  1 00:00:00 1970')); // started before this pid was reused
    rec.start();
    for (const r of store.listReplicas('d1')) {
      assert.equal(r.state, 'failed', `${r.id} not adopted`);
      assert.equal(r.stateReason, 'process gone after server restart');
    }
    await rec.tick();
    await rec.tick();
    assert.equal(pidAlive(pid), true, 'the unrelated process was not signalled');
    // stopping such a handle directly is a no-op too
    await provider.stop({ replicaId: 'chat-old', pid, pidStart: null, port: 1, url: '' }, 100);
    assert.equal(pidAlive(pid), true);
    assert.equal(provider.adopt({ replicaId: 'chat-old', pid, pidStart: null, port: 1, url: '' }), false);
  } finally {
    await rec.stop();
    provider.close();
    await routes.close();
    stranger.kill('SIGKILL');
    rmSync(logDir, { recursive: true, force: true });
  }
});
