/**
 * Several real `inferscale server --ha` processes on one fake Kubernetes API (over HTTP, in this process),
 * with every replica pod answered by one local engine simulator (pods get IP 127.0.0.1 and the zone's
 * engine port is the simulator's). Used by the crash test and the HA failover benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../providers/local/ports.js';
import { H100_NODE_LABELS, startFakeKube, type FakeKube } from '../providers/kubernetes/testkit.js';
import { CLI, startSimEngine } from './harness.js';
import { addServerPod } from './ha-options.js';

export interface HaReplica {
  name: string;
  url: string;
  child: ChildProcess;
}

export interface HaCluster {
  k: FakeKube;
  /** starts (or restarts) the server replica `name` (also its pod's name) and waits for /healthz */
  start(name: string): Promise<HaReplica>;
  /** the admin token every replica shares (from the Secret the first one made) */
  token(): string;
  api(s: HaReplica, method: string, path: string, body?: unknown): Promise<{ status: number; body?: any }>;
  role(s: HaReplica): Promise<string | undefined>;
  /** the names of the live replica pods */
  pods(): string[];
  /** what a server replica printed (its log), for failure messages */
  logs(name: string): string;
  close(): Promise<void>;
}

export async function startHaCluster(o: { leaseSeconds: number; itlMs?: number }): Promise<HaCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'inferscale-ha-'));
  const k = await startFakeKube({ podIp: '127.0.0.1' });
  k.controllers.addNode('gpu-a', H100_NODE_LABELS, 8);
  const engine = await startSimEngine({ itlMs: o.itlMs ?? 5 });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, k.kc.exportConfig());
  const zones = join(dir, 'zones.json');
  writeFileSync(
    zones,
    JSON.stringify({
      zones: [
        {
          name: 'fake-eks',
          type: 'kubernetes',
          kubeconfig,
          namespace: k.namespace,
          enginePort: engine.port,
          preStopSeconds: 1,
          images: { sim: 'ghcr.io/inferscale/inferscale:0.1.0' },
          gpuTypes: { h100: { match: [{ 'nvidia.com/gpu.product': ['NVIDIA-H100-80GB-HBM3'] }] } },
        },
      ],
    }),
  );
  const children = new Set<ChildProcess>();
  const token = () =>
    Buffer.from((k.cluster.get('secrets', k.namespace, 'inferscale-server') as unknown as { data: Record<string, string> }).data['admin-token'], 'base64')
      .toString()
      .trim();
  const api: HaCluster['api'] = (s, method, path, body) =>
    fetch(`${s.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(3000),
    }).then(
      async (r) => ({ status: r.status, body: await r.json().catch(() => undefined) }),
      () => ({ status: 0 }),
    );
  return {
    k,
    token,
    api,
    role: async (s) => (await api(s, 'GET', '/cluster')).body?.role,
    logs: (name) => (existsSync(join(dir, `${name}.log`)) ? readFileSync(join(dir, `${name}.log`), 'utf8') : ''),
    pods: () =>
      k.cluster
        .list('pods', k.namespace, 'app.kubernetes.io/managed-by=inferscale')
        .items.filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.metadata.name)
        .sort(),
    async start(name) {
      addServerPod(k, name);
      const port = await freePort('127.0.0.1');
      const out = openSync(join(dir, `${name}.log`), 'a');
      const child = spawn(
        process.execPath,
        [
          CLI,
          'server',
          '--port',
          String(port),
          '--data-dir',
          join(dir, name),
          '--virtual-gpus',
          '0',
          '--zones',
          zones,
          '--ha',
          'fake-eks',
          '--ha-lease-seconds',
          String(o.leaseSeconds),
        ],
        {
          env: { ...process.env, POD_NAME: name },
          stdio: ['ignore', out, out],
        },
      );
      closeSync(out);
      children.add(child);
      child.once('exit', () => children.delete(child));
      const s = { name, url: `http://127.0.0.1:${port}`, child };
      for (;;) {
        if (child.exitCode !== null) throw new Error(`server ${name} exited with ${child.exitCode}`);
        if (
          await fetch(`${s.url}/healthz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          return s;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await Promise.all(
        [...children].map(
          (c) =>
            new Promise<void>((resolve) => {
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
              setTimeout(() => c.kill('SIGKILL'), 5000).unref();
            }),
        ),
      );
      engine.kill();
      await k.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
