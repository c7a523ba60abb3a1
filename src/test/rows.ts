import type { DeploymentRow } from '../store/store.js';

/** A stored deployment for unit tests (deployment "chat", id d1, engine sim, 2 x a5000), with `o` over it. */
export function deploymentRow(o: Partial<DeploymentRow> = {}): DeploymentRow {
  return {
    id: 'd1',
    name: 'chat',
    modelName: 'm',
    engine: 'sim',
    engineParams: '',
    gpuType: 'a5000',
    gpuCount: 2,
    replicas: 1,
    zone: 'local',
    status: 'creating',
    statusDetails: '',
    maxOngoingRequests: 4,
    maxQueuedRequests: 10,
    queueTimeoutMs: 1000,
    drainTimeoutMs: 5000,
    autoscale: null,
    labels: {},
    apiKeyHash: Buffer.alloc(32),
    apiKeySealed: 'x',
    generation: 1,
    everReady: false,
    deleting: false,
    createdAt: 0,
    updatedAt: 0,
    ...o,
  };
}
