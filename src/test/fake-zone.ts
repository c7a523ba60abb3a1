/**
 * A Kubernetes zone for server tests: the fake API over HTTP with one GPU node, and one local engine
 * simulator that every pod's address points at. `zones` goes into ServerOptions as it is.
 */
import type { KubernetesZoneConfig } from '../zones/config.js';
import type { ServerOptions } from '../server/start-server.js';
import { H100_NODE_LABELS, startFakeKube, testZone, type FakeKube } from '../providers/kubernetes/testkit.js';
import { startSimEngine } from './harness.js';

export interface FakeZone {
  k: FakeKube;
  zone: KubernetesZoneConfig;
  zones: NonNullable<ServerOptions['zones']>;
  close(): Promise<void>;
}

/** `withLlamacpp`: the zone also has an image for the llamacpp engine. */
export async function startFakeZone(o: { itlMs?: number; withLlamacpp?: boolean } = {}): Promise<FakeZone> {
  const k = await startFakeKube();
  k.controllers.addNode('gpu-a', H100_NODE_LABELS, 8);
  const engine = await startSimEngine({ itlMs: o.itlMs });
  const zone = o.withLlamacpp ? testZone({ images: { ...testZone().images, llamacpp: 'ghcr.io/inferscale/inferscale:0.1.0' } }) : testZone();
  return {
    k,
    zone,
    zones: { file: { zones: [zone] }, kubeConfigFor: () => k.kc, podAddress: () => ({ host: '127.0.0.1', port: engine.port }) },
    async close() {
      engine.kill();
      await k.close();
    },
  };
}
