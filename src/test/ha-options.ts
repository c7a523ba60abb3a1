/**
 * In-process HA servers on the fake Kubernetes API: the options of a server replica with short lease timings,
 * and the pod the API server would have for it (its own pod, which a leader labels and which peers reach).
 */
import type { FakeKube } from '../providers/kubernetes/testkit.js';
import type { ServerOptions } from '../server/start-server.js';

/** A server replica `identity` (also its pod's name) of the HA zone fake-eks, with lease timings in seconds. */
export function haServerOptions(
  zones: NonNullable<ServerOptions['zones']>,
  identity: string,
  onLostLeadership: () => void = () => undefined,
): Partial<ServerOptions> {
  return {
    virtualGpus: 0,
    kedaPort: 0,
    zones,
    ha: {
      zone: 'fake-eks',
      identity,
      podName: identity,
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 200,
      mirrorPeriodMs: 300,
      onLostLeadership,
    },
  };
}

/** The pod of server replica `name`, on loopback, unless it is there already. */
export function addServerPod(k: FakeKube, name: string): void {
  if (k.cluster.tryGet('pods', k.namespace, name)) return;
  k.cluster.create('pods', k.namespace, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'inferscale' } },
    spec: { containers: [{ name: 'server', image: 'inferscale' }] },
    status: { podIP: '127.0.0.1' },
  });
}
