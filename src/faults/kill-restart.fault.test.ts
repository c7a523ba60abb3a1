import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { waitFor } from '../test/harness.js';
import { processIdentity } from '../providers/local/identity.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { mulberry32 } from '../simulator/random.js';

// SIGKILL of the real server process at 20 random points while creates, scales, key rotations and deletes
// run against it (engine-simulator replicas on 4 virtual GPUs). After each restart: every change the API
// answered is there (deployment, replica count, key), every stored key opens its deployment, no GPU is held
// by two replicas, and no replica process runs that no replica row owns. Seeded (KILL_SEED); loopback only.
const ROUNDS = Number(process.env.KILL_ROUNDS ?? 20);
const SEED = Number(process.env.KILL_SEED ?? 7);
const SIM = '--startup-seconds 0.3 --ttft-ms 2 --itl-ms 1';

interface Known {
  exists: boolean;
  key?: string;
  replicas?: number;
}

const opens = (s: ServerProcess, name: string, key: string) =>
  fetch(`${s.url}/d/${name}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

test(`SIGKILL at ${ROUNDS} random points during create, scale, rotate and delete: consistent after every restart`, { timeout: 240_000 }, async (ctx) => {
  const s = await startServerProcess({ gpus: 4 });
  const r = mulberry32(SEED);
  const known = new Map<string, Known>();
  let ops = 0;
  let interrupted = 0;
  let serial = 0;
  const checks = { keys: 0, replicaCounts: 0, gpus: 0 };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      let killed = false;
      const inFlight = new Set<string>();
      const driver = (async () => {
        while (!killed) {
          const names = [...known].filter(([, k]) => k.exists).map(([n]) => n);
          const kind = names.length < 2 ? 'create' : (['create', 'scale', 'scale', 'rotate', 'rotate', 'delete'] as const)[Math.floor(r() * 6)];
          const name = kind === 'create' ? `d${serial++}` : names[Math.floor(r() * names.length)];
          inFlight.add(name);
          try {
            if (kind === 'create') {
              const replicas = Math.floor(r() * 3);
              const res = await s.api('POST', '/deployments', { name, modelName: 'm', replicas, gpuCount: 1, engineParams: SIM, drainTimeoutMs: 1000 });
              if (res.status === 201) known.set(name, { exists: true, key: res.body.apiKey, replicas });
            } else if (kind === 'scale') {
              const replicas = Math.floor(r() * 3);
              const res = await s.api('POST', `/deployments/${name}/scale`, { replicas });
              if (res.status === 200) known.set(name, { ...known.get(name)!, replicas });
            } else if (kind === 'rotate') {
              const res = await s.api('POST', `/deployments/${name}/rotate-api-key`, { graceSeconds: r() < 0.5 ? 0 : 60 });
              if (res.status === 200) known.set(name, { ...known.get(name)!, key: res.body.apiKey });
            } else {
              const res = await s.api('DELETE', `/deployments/${name}`);
              if (res.status === 202) known.set(name, { exists: false });
            }
            ops++;
            inFlight.delete(name);
          } catch {
            // the server died under this call: its outcome is unknown
            interrupted++;
            return;
          }
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 50 + r() * 1450));
      killed = true;
      await s.kill();
      await driver;
      for (const name of inFlight) known.delete(name);
      await s.restart();

      // what the API answered before the kill is there
      const listed = new Map<string, any>(((await s.api('GET', '/deployments')).body.deployments as any[]).map((d) => [d.name, d]));
      for (const [name, k] of known) {
        const d = listed.get(name);
        if (!k.exists) {
          assert.ok(!d || d.status === 'deleting', `round ${round}: ${name} was deleted`);
          continue;
        }
        assert.ok(d, `round ${round}: ${name} exists`);
        assert.equal(d.replicas, k.replicas, `round ${round}: ${name} keeps ${k.replicas} replicas`);
        assert.equal(await opens(s, name, k.key!), 200, `round ${round}: the last key of ${name} works`);
        checks.replicaCounts++;
      }
      // every deployment, including those whose last call was cut: its stored key opens it
      for (const [name, d] of listed) {
        if (d.status === 'deleting') continue;
        const key = (await s.api('POST', `/deployments/${name}/reveal-api-key`)).body.apiKey;
        assert.equal(await opens(s, name, key), 200, `round ${round}: the stored key of ${name} opens it`);
        checks.keys++;
        if (!known.has(name)) known.set(name, { exists: true, key, replicas: d.replicas });
      }
      for (const name of known.keys()) if (!listed.has(name) && known.get(name)!.exists) known.delete(name);
      // no GPU held twice, no replica process without a row (a replica being spawned has its row first)
      // replica rows read from the data dir's database (read-only, beside the server): the API hides the
      // replicas of deployments being deleted, whose processes rightly run until they are drained
      let why = '';
      await waitFor(
        () => {
          const db = new Database(join(s.dataDir, 'inferscale.db'), { readonly: true, fileMustExist: true });
          let all: { id: string; pid: number | null; state: string; gpus: string }[];
          try {
            all = db.prepare('SELECT id, pid, state, gpus FROM replicas').all() as typeof all;
          } finally {
            db.close();
          }
          const live = all.filter((x) => ['pending', 'starting', 'ready', 'draining'].includes(x.state));
          const gpus = live.flatMap((x) => JSON.parse(x.gpus) as number[]);
          assert.equal(new Set(gpus).size, gpus.length, `round ${round}: a GPU held twice: ${JSON.stringify(live)}`);
          const pids = new Set(live.map((x) => x.pid));
          const stray = processIdentity()
            .replicasOf(s.dataDir)
            .filter((p) => !pids.has(p.pid));
          why = JSON.stringify(stray.map((p) => ({ ...p, rows: all.filter((x) => x.id === p.replicaId) })));
          return stray.length === 0;
        },
        { timeoutMs: 5_000, what: `round ${round}: no replica process without a live row` },
      ).catch((e) => {
        throw new Error(`${(e as Error).message}: ${why}\n${s.log().split('\n').slice(-30).join('\n')}`);
      });
      checks.gpus++;
    }
    const final = ((await s.api('GET', '/deployments')).body.deployments as any[]).length;
    ctx.diagnostic(
      `${ROUNDS} kills (seed ${SEED}): ${ops} calls answered, ${interrupted} cut by a kill; checked ${checks.replicaCounts} answered changes, ${checks.keys} stored keys, GPUs and orphans ${checks.gpus} times; ${final} deployments at the end`,
    );
    // and everything stops cleanly when deleted
    for (const d of (await s.api('GET', '/deployments')).body.deployments as any[])
      if (d.status !== 'deleting') await s.api('DELETE', `/deployments/${d.name}`);
    await waitFor(() => processIdentity().replicasOf(s.dataDir).length === 0, { timeoutMs: 30_000, what: 'every replica stopped after the deletes' });
  } finally {
    await s.close();
  }
});
