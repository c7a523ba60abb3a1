// The fake kubelet's engine processes (pod-engines.ts), with real simulator processes: each pod its own
// engine, Ready once it answers, and a deleted pod stopped as the kubelet stops one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCluster, type KObj } from './cluster.js';
import { FakeControllers } from './controllers.js';
import { PodEngines, type PodEnginesOptions } from './pod-engines.js';
import { reclaimNode } from './disruption.js';
import { waitFor } from '../../../test/harness.js';

const ENGINE = ['--model-name', 'm', '--startup-seconds', '0', '--ttft-ms', '5', '--itl-ms', '5'];

function pod(name: string, preStopSeconds?: number): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: {
      nodeName: 'n1',
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'engine',
          image: 'sim',
          lifecycle: preStopSeconds === undefined ? undefined : { preStop: { exec: { command: ['sh', '-c', `sleep ${preStopSeconds}`] } } },
        },
      ],
    },
    status: { phase: 'Pending', conditions: [] },
  };
}

/** A cluster whose kubelet leaves readiness and the end of termination to the pod engines. */
async function withEngines(o: Partial<PodEnginesOptions>, body: (c: FakeCluster, e: PodEngines) => Promise<void>): Promise<void> {
  const c = new FakeCluster();
  const controllers = new FakeControllers(c, { autoReady: false, autoFinalize: false });
  const engines = new PodEngines(c, controllers, { engineArgs: ENGINE, ...o });
  try {
    await body(c, engines);
  } finally {
    await engines.close();
    controllers.close();
  }
}

const isReady = (c: FakeCluster, name: string) =>
  !!c.tryGet('pods', 'ns', name)?.status?.conditions?.some((x: { type: string; status: string }) => x.type === 'Ready' && x.status === 'True');

describe('PodEngines: one engine process per fake pod', () => {
  it('each running pod gets its own engine on its own port, and turns Ready once that engine answers /health', async () => {
    await withEngines({}, async (c, engines) => {
      c.create('pods', 'ns', pod('a'));
      c.create('pods', 'ns', pod('b'));
      await waitFor(() => isReady(c, 'a') && isReady(c, 'b'), { what: 'both pods ready' });
      const a = engines.addressOf('a')!;
      const b = engines.addressOf('b')!;
      assert.notEqual(a.port, b.port);
      for (const x of [a, b]) assert.equal((await fetch(`http://${x.host}:${x.port}/health`)).status, 200);
      assert.deepEqual(
        engines.onNode('n1').map((e) => e.pod),
        ['a', 'b'],
      );
    });
  });

  it('a deleted pod: its preStop wait (read from the pod), then SIGTERM; an idle engine exits 0 and only then does the pod go', async () => {
    await withEngines({}, async (c, engines) => {
      c.create('pods', 'ns', pod('a', 1));
      await waitFor(() => isReady(c, 'a'), { what: 'pod ready' });
      const e = engines.all()[0];
      const deletedAt = Date.now();
      c.delete('pods', 'ns', 'a');
      assert.ok(c.tryGet('pods', 'ns', 'a')?.metadata.deletionTimestamp, 'terminating, not gone');
      const exit = await e.exited;
      assert.ok(Date.now() - deletedAt >= 1000, 'not before the 1 s preStop wait');
      assert.deepEqual(exit, { code: 0, signal: null, sent: ['SIGTERM'] });
      await waitFor(() => !c.tryGet('pods', 'ns', 'a'), { what: 'the pod removed' });
    });
  });

  it('an engine still streaming at the end of the grace period is SIGKILLed', async () => {
    await withEngines({ graceMs: 800 }, async (c, engines) => {
      c.create('pods', 'ns', pod('a'));
      await waitFor(() => isReady(c, 'a'), { what: 'pod ready' });
      const { port } = engines.addressOf('a')!;
      const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', prompt: 'hi', max_tokens: 2000, stream: true }),
      });
      const reader = res.body!.getReader();
      assert.ok(!(await reader.read()).done, 'streaming');
      c.delete('pods', 'ns', 'a');
      const exit = await engines.all()[0].exited;
      assert.deepEqual(exit, { code: null, signal: 'SIGKILL', sent: ['SIGTERM', 'SIGKILL'] });
      await reader.cancel().catch(() => undefined);
      await waitFor(() => !c.tryGet('pods', 'ns', 'a'), { what: 'the pod removed' });
    });
  });

  it('a pod removed with its node, without the kubelet stopping it: its engine is killed at once', async () => {
    await withEngines({}, async (c, engines) => {
      c.create('nodes', undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
      c.create('pods', 'ns', pod('a', 5));
      await waitFor(() => isReady(c, 'a'), { what: 'pod ready' });
      reclaimNode(c, 'n1');
      const exit = await engines.all()[0].exited;
      assert.deepEqual(exit, { code: null, signal: 'SIGKILL', sent: ['SIGKILL'] });
    });
  });
});
