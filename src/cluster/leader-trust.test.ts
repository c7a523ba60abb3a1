import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../core/clock.js';
import { KubeClient } from '../providers/kubernetes/client.js';
import { startFakeKube } from '../providers/kubernetes/testkit.js';
import { LeaderTrust } from './leader-trust.js';

// The fake Kubernetes API over HTTP (src/providers/kubernetes/fake): the Lease holder's pod as read from it.
test('a Lease URL is trusted only when its holder is a server pod of this namespace at that address', async () => {
  const k = await startFakeKube();
  try {
    const pod = (name: string, labels: Record<string, string>, podIP?: string) =>
      k.cluster.create('pods', k.namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels },
        spec: { containers: [{ name: 'c', image: 'i' }] },
        ...(podIP ? { status: { podIP } } : {}),
      });
    pod('server-a', { 'app.kubernetes.io/name': 'inferscale' }, '10.0.0.5');
    pod('impostor', { app: 'other' }, '10.0.0.9');
    pod('server-b', { 'app.kubernetes.io/name': 'inferscale' });
    const lines: string[] = [];
    const trust = new LeaderTrust({ client: new KubeClient(k.kc, k.namespace), clock: systemClock, log: (l) => lines.push(l) });
    const verdict = async (holder: string, url: string) => {
      await trust.check(holder, url);
      return trust.trusted(holder, url);
    };
    assert.equal(trust.trusted('server-a', 'http://10.0.0.5:8080'), undefined, 'nothing before the check');
    assert.equal(await verdict('server-a', 'http://10.0.0.5:8080'), 'http://10.0.0.5:8080');
    assert.equal(await verdict('server-a', 'http://169.254.169.254'), undefined, "another address than the pod's");
    assert.equal(await verdict('impostor', 'http://10.0.0.9:8080'), undefined, 'a pod without the server labels');
    assert.equal(await verdict('server-b', 'http://10.0.0.7:8080'), undefined, 'no IP yet');
    assert.equal(await verdict('nobody', 'http://10.0.0.5:8080'), undefined, 'no such pod');
    assert.ok(lines.some((l) => /169\.254\.169\.254 is not an address of pod server-a/.test(l)));
    assert.ok(lines.some((l) => /impostor lacks the server labels/.test(l)));
  } finally {
    await k.close();
  }
});
