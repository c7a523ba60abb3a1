// KEDA interop end to end: a real server started with a KEDA port, a real @grpc/grpc-js client speaking
// KEDA's external scaler protocol, real engine-simulator replicas. KEDA itself is not run here (no cluster).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { externalScalerService, type GetMetricsResponse, type IsActiveResponse } from './grpc-server.js';

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

let t: TestServer;
let client: Client;
before(async () => {
  t = await startTestServer({ kedaPort: 0 });
  const Ctor = externalScalerService();
  client = new Ctor(`127.0.0.1:${t.server.kedaPort()}`, grpc.credentials.createInsecure()) as unknown as Client;
});
after(async () => {
  client?.close();
  await t.close();
});

const ref = (metadata: Record<string, string>) => ({ name: 'consumer', namespace: 'apps', scalerMetadata: metadata });
const unary = <R>(method: string, req: unknown) =>
  new Promise<R>((resolve, reject) => client[method](req, (e: grpc.ServiceError | null, r: R) => (e ? reject(e) : resolve(r))));

test("GetMetrics answers the deployment's desired replicas and load from the live server", async () => {
  const created = await t.api('POST', '/deployments', { name: 'k', modelName: 'm', replicas: 2, engineParams: '--startup-seconds 0 --ttft-ms 5 --itl-ms 2' });
  assert.equal(created.status, 201);
  const desired = await unary<GetMetricsResponse>('GetMetrics', { scaledObjectRef: ref({ deployment: 'k' }), metricName: 'inferscale-k-desired-replicas' });
  assert.equal(desired.metricValues[0].metricValue, 2);
  await t.api('POST', '/deployments/k/scale', { replicas: 1 });
  const after = await unary<GetMetricsResponse>('GetMetrics', { scaledObjectRef: ref({ deployment: 'k' }), metricName: 'x' });
  assert.equal(after.metricValues[0].metricValue, 1);
  await assert.rejects(unary('IsActive', ref({ deployment: 'nope' })), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
});

test('StreamIsActive pushes "active" as soon as a request arrives at a deployment scaled to zero', async () => {
  const created = await t.api('POST', '/deployments', { name: 'z', modelName: 'm', replicas: 0, engineParams: '--startup-seconds 0 --ttft-ms 5 --itl-ms 2' });
  assert.equal(created.status, 201);
  const auto = await t.api('PUT', '/deployments/z/autoscale', { minReplicas: 0, maxReplicas: 1, scaleToZeroAfterMs: '1m' });
  assert.equal(auto.status, 200, JSON.stringify(auto.body));
  const seen: boolean[] = [];
  const stream = client.StreamIsActive(ref({ deployment: 'z' })) as grpc.ClientReadableStream<IsActiveResponse>;
  stream.on('data', (m: IsActiveResponse) => seen.push(m.result));
  stream.on('error', () => undefined);
  await waitFor(() => seen.length === 1, { what: 'the first push' });
  assert.deepEqual(seen, [false]);
  const res = await fetch(`${t.url}/d/z/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${created.body.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'wake' }], max_tokens: 2 }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.arrayBuffer();
  await waitFor(() => seen.includes(true), { what: 'active pushed' });
  assert.equal(seen[1], true);
  stream.cancel();
});
