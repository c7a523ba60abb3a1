/**
 * Sleeping replicas in integration tests: a deployment set to sleep when idle through the real CLI, and a wait
 * for its replica to be asleep.
 */
import assert from 'node:assert/strict';
import type { ReplicaView } from '../service/views.js';
import { waitFor, type TestServer } from './harness.js';

/** `deployment autoscale NAME --min 0 --max 1 --idle sleep`, idle after 2 s: it sleeps soon after its last request. */
export async function sleepWhenIdle(t: TestServer, name: string): Promise<void> {
  const r = await t.cli([
    'deployment',
    'autoscale',
    name,
    '--min',
    '0',
    '--max',
    '1',
    '--scale-to-zero-after',
    '2s',
    '--downscale-delay',
    '2s',
    '--idle',
    'sleep',
  ]);
  assert.equal(r.code, 0, r.stderr);
}

/** Resolves with the deployment's replica once it is asleep. */
export async function untilAsleep(t: TestServer, name: string, timeoutMs = 30_000): Promise<ReplicaView> {
  const replica = await waitFor(
    async () => {
      const live = ((await t.api('GET', `/deployments/${name}`)).body.replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));
      return live.find((r) => r.state === 'sleeping');
    },
    { timeoutMs, what: `${name} asleep` },
  );
  return replica!;
}
