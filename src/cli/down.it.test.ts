// The server's lifecycle on one machine, end to end: `inferscale server` and `inferscale down` as child
// processes, real engine-simulator replicas. Which processes are a data dir's replicas is read the way the
// local provider reads it (their environment, /proc: Linux), and by their pids.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI, FAST_SIM, pidAlive, waitFor } from '../test/harness.js';
import { processIdentity } from '../providers/local/identity.js';
import { openDb } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { dataFiles } from '../config/paths.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, INFERSCALE_TOKEN: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** `inferscale server` in a fresh data dir, a deployment of `replicas` ready sim replicas on it. */
async function serverWithReplicas(replicas: number, extra: string[] = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'inferscale-down-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--data-dir', dataDir, '--virtual-gpus', '4', '--virtual-gpu-type', 'a5000', ...extra], {
    env: { ...process.env, INFERSCALE_TEST: '1' },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const url = await waitFor(
    () => {
      try {
        return (JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')) as { url?: string }).url;
      } catch {
        return undefined;
      }
    },
    { what: 'the server listening' },
  );
  const env = { INFERSCALE_URL: String(url), INFERSCALE_DATA_DIR: dataDir };
  const made = await run(['deployment', 'create', 'chat', '--model-name', 'tiny', '--replicas', String(replicas), '--engine-params', FAST_SIM, '--wait'], env);
  assert.equal(made.code, 0, made.stderr);
  const pids = replicaPids(dataDir);
  assert.equal(pids.length, replicas, 'one process per replica, found by its environment');
  return { dataDir, child, exited, output: () => out, pids };
}

/** Every running process started as a replica of this data dir. */
const replicaPids = (dataDir: string) =>
  processIdentity()
    .replicasOf(resolve(dataDir))
    .map((p) => p.pid);

test('inferscale down with the server running: the server drains and stops its replicas, then itself', async () => {
  const s = await serverWithReplicas(2);
  const r = await run(['down', '--data-dir', s.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /server \(pid \d+\) stopped; 2 replica processes stopped\n/);
  assert.equal(await s.exited, 0, 'the server exited');
  assert.deepEqual(replicaPids(s.dataDir), []);
  assert.ok(s.pids.every((p) => !pidAlive(p)));
  assert.match(s.output(), /inferscale down: stopping server, draining and stopping its replicas/);
});

test('Ctrl-C keeps the replicas and says how to stop them; inferscale down then stops them, never another program', async () => {
  const s = await serverWithReplicas(1);
  s.child.kill('SIGINT');
  assert.equal(await s.exited, 0);
  assert.match(s.output(), /1 replica keeps running, holding its GPUs/);
  assert.ok(s.output().includes(`inferscale down --data-dir ${s.dataDir}`), s.output());
  assert.ok(pidAlive(s.pids[0]), 'kept for the next start to adopt');
  // the replica's row now names an unrelated process (as after a pid was reused): it must not be signalled
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(other);
  const db = openDb(dataFiles(s.dataDir).db, SCHEMA);
  db.prepare(`UPDATE replicas SET pid = ?, pid_start = NULL WHERE state IN ('starting', 'ready')`).run(other.pid);
  db.close();
  const r = await run(['down', '--data-dir', s.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^1 replica process stopped \(1 found by their environment, not by a replica row\)/);
  assert.deepEqual(replicaPids(s.dataDir), [], 'the replica was found by its environment and stopped');
  assert.ok(!pidAlive(s.pids[0]));
  assert.ok(pidAlive(other.pid!), 'the unrelated process was left alone');
  other.kill('SIGKILL');
  const again = await run(['down', '--data-dir', s.dataDir]);
  assert.match(again.stdout, /^0 replica processes stopped/, 'nothing left');
});

test('--on-exit stop: Ctrl-C drains and stops the replicas with the server', async () => {
  const s = await serverWithReplicas(1, ['--on-exit', 'stop']);
  s.child.kill('SIGINT');
  assert.equal(await s.exited, 0);
  assert.deepEqual(replicaPids(s.dataDir), []);
  assert.ok(!pidAlive(s.pids[0]));
  assert.doesNotMatch(s.output(), /keeps running/);
});
