import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.js';
import { GatewayMetrics } from './metrics.js';
import { RouteTable } from './routes.js';
import type { DeploymentRow } from '../store/store.js';
import type { Replica } from '../domain/types.js';

const dep = { id: 'd1', name: 'chat', apiKeyHash: Buffer.alloc(32), status: 'ready', autoscale: null, deleting: false, replicas: 1, maxOngoingRequests: 4, maxQueuedRequests: 10, queueTimeoutMs: 1000 } as unknown as DeploymentRow;
const rep = (id: string, state: Replica['state']) => ({ id, state, port: 1 }) as Replica;

test('a replica that fails repeatedly leaves rotation until its health check passes again', async () => {
  const t = new RouteTable(new FakeClock(), new GatewayMetrics());
  t.sync(dep, [rep('r1', 'ready')]);
  const r = t.get('chat')!.replicas.get('r1')!;
  assert.equal(r.routable, true);
  r.recordFailure();
  r.recordFailure();
  assert.equal(r.routable, true, 'two failures are not enough');
  r.recordFailure();
  assert.equal(r.routable, false);
  assert.equal(t.ejected('r1'), true);
  t.sync(dep, [rep('r1', 'ready')]);
  assert.equal(r.routable, false, 'a sync does not readmit an ejected replica');
  t.readmit('r1');
  assert.equal(r.routable, true);
  t.sync(dep, [rep('r1', 'draining')]);
  assert.equal(r.routable, false, 'a draining replica takes no new requests');
  t.sync(dep, []);
  assert.equal(t.get('chat')!.replicas.size, 0);
  await t.close();
});
