import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  externalScalerService,
  startKedaScaler,
  type GetMetricSpecResponse,
  type GetMetricsResponse,
  type IsActiveResponse,
  type KedaDeploymentSignals,
  type KedaScalerServer,
  type KedaSource,
  type ScaledObjectRef,
} from './grpc-server.js';

/** A KedaSource over a map; `set` and `remove` notify like the live server does. */
class FakeSource implements KedaSource {
  readonly data = new Map<string, KedaDeploymentSignals>();
  readonly listeners = new Set<(d: string) => void>();
  private unsubscribed: (() => void)[] = [];

  signals(d: string): KedaDeploymentSignals | undefined {
    return this.data.get(d);
  }
  onChange(fn: (d: string) => void): () => void {
    this.listeners.add(fn);
    return () => {
      if (this.listeners.delete(fn)) for (const w of this.unsubscribed.splice(0)) w();
    };
  }
  set(d: string, o: Partial<KedaDeploymentSignals>): void {
    this.data.set(d, { desiredReplicas: 0, readyReplicas: 0, ongoing: 0, queued: 0, ...o });
    for (const fn of [...this.listeners]) fn(d);
  }
  remove(d: string): void {
    this.data.delete(d);
    for (const fn of [...this.listeners]) fn(d);
  }
  /** resolves at the next unsubscribe */
  nextUnsubscribe(): Promise<void> {
    return new Promise((resolve) => this.unsubscribed.push(resolve));
  }
}

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function newClient(port: number): Client {
  const Ctor = externalScalerService();
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Client;
}

function unary<Res>(client: Client, method: string, req: unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](req, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}

const ref = (scalerMetadata: Record<string, string>): ScaledObjectRef => ({
  name: 'tokenizer',
  namespace: 'apps',
  scalerMetadata: { scalerAddress: 'inferscale.inferscale:9443', ...scalerMetadata },
});

/** asserts a gRPC failure with this status whose message matches */
async function rejectsWith(p: Promise<unknown>, code: grpc.status, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: grpc.ServiceError) => {
    assert.equal(e.code, code, `status ${e.code} (${e.details})`);
    assert.match(e.details, message);
    return true;
  });
}

describe('KEDA external scaler over gRPC', () => {
  const source = new FakeSource();
  const lines: string[] = [];
  let server: KedaScalerServer;
  let client: Client;

  before(async () => {
    source.set('chat', { desiredReplicas: 0 });
    server = await startKedaScaler({ host: '127.0.0.1', port: 0, source, log: (l) => lines.push(l) });
    client = newClient(server.port);
  });

  after(async () => {
    client?.close();
    await server?.close();
  });

  test('listens on the port it was given (0: a free one) and says so', () => {
    assert.ok(server.port > 0);
    assert.ok(lines.some((l) => l.includes(`127.0.0.1:${server.port}`)));
  });

  test('GetMetricSpec: one metric named after the deployment, with the target', async () => {
    const spec = await unary<GetMetricSpecResponse>(client, 'GetMetricSpec', ref({ deployment: 'chat' }));
    assert.deepEqual(spec, {
      metricSpecs: [{ metricName: 'inferscale-chat-desired-replicas', targetSize: 1, targetSizeFloat: 1 }],
    });
    const ongoing = await unary<GetMetricSpecResponse>(client, 'GetMetricSpec', ref({ deployment: 'chat', metric: 'ongoingRequests', target: '2.5' }));
    assert.deepEqual(ongoing.metricSpecs, [{ metricName: 'inferscale-chat-ongoing-requests', targetSize: 3, targetSizeFloat: 2.5 }]);
  });

  test('GetMetrics and IsActive follow the source', async () => {
    source.set('chat', { desiredReplicas: 3, readyReplicas: 2, ongoing: 41, queued: 5 });
    const get = (metadata: Record<string, string>) =>
      unary<GetMetricsResponse>(client, 'GetMetrics', {
        scaledObjectRef: ref(metadata),
        metricName: 'inferscale-chat-desired-replicas',
      });
    assert.deepEqual(await get({ deployment: 'chat' }), {
      metricValues: [{ metricName: 'inferscale-chat-desired-replicas', metricValue: 3, metricValueFloat: 3 }],
    });
    assert.deepEqual((await get({ deployment: 'chat', metric: 'ongoingRequests' })).metricValues, [
      { metricName: 'inferscale-chat-ongoing-requests', metricValue: 41, metricValueFloat: 41 },
    ]);
    assert.equal((await get({ deployment: 'chat', metric: 'queuedRequests' })).metricValues[0]?.metricValue, 5);
    assert.deepEqual(await unary<IsActiveResponse>(client, 'IsActive', ref({ deployment: 'chat' })), { result: true });

    source.set('chat', { desiredReplicas: 0, readyReplicas: 1 });
    assert.deepEqual(await unary<IsActiveResponse>(client, 'IsActive', ref({ deployment: 'chat' })), { result: false });
    assert.equal((await get({ deployment: 'chat' })).metricValues[0]?.metricValue, 0);
  });

  test('errors: unknown deployment NOT_FOUND, bad metadata INVALID_ARGUMENT, naming the field', async () => {
    for (const method of ['IsActive', 'GetMetricSpec']) {
      await rejectsWith(unary(client, method, ref({ deployment: 'ghost' })), grpc.status.NOT_FOUND, /deployment.*"ghost" not found/);
      await rejectsWith(unary(client, method, ref({})), grpc.status.INVALID_ARGUMENT, /^deployment: .*required/);
    }
    await rejectsWith(unary(client, 'GetMetrics', { scaledObjectRef: ref({ deployment: 'ghost' }), metricName: 'x' }), grpc.status.NOT_FOUND, /deployment/);
    await rejectsWith(unary(client, 'GetMetrics', { metricName: 'inferscale-chat-desired-replicas' }), grpc.status.INVALID_ARGUMENT, /^deployment: /);
    for (const target of ['0', 'lots', '5000000']) {
      await rejectsWith(
        unary(client, 'GetMetricSpec', ref({ deployment: 'chat', target })),
        grpc.status.INVALID_ARGUMENT,
        /^target: must be a number from 0\.001 to 1000000/,
      );
    }
    await rejectsWith(unary(client, 'IsActive', ref({ deployment: 'chat', metric: 'rps' })), grpc.status.INVALID_ARGUMENT, /^metric: /);
  });

  test('StreamIsActive: false at once, true when the source changes, nothing in between, unsubscribes on cancel', async () => {
    source.set('chat', {});
    const listenersBefore = source.listeners.size;
    const stream = client.StreamIsActive(ref({ deployment: 'chat' })) as grpc.ClientReadableStream<IsActiveResponse>;
    stream.on('error', () => {}); // the cancel below ends it with CANCELLED
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<IsActiveResponse>;

    assert.deepEqual((await it.next()).value, { result: false });
    assert.equal(source.listeners.size, listenersBefore + 1);
    source.set('chat', { readyReplicas: 1 }); // still inactive: nothing is pushed
    source.set('other', { queued: 3 }); // another deployment: nothing is pushed
    source.set('chat', { queued: 1 }); // a request waits at zero
    assert.deepEqual((await it.next()).value, { result: true });
    source.set('chat', { queued: 0, ongoing: 1, desiredReplicas: 1 }); // still active
    source.set('chat', {});
    assert.deepEqual((await it.next()).value, { result: false });

    const unsubscribed = source.nextUnsubscribe();
    stream.cancel();
    await unsubscribed;
    assert.equal(source.listeners.size, listenersBefore);
  });

  test('StreamIsActive: an unknown deployment or a bad target ends the stream with the error', async () => {
    const read = async (md: Record<string, string>) => {
      const stream = client.StreamIsActive(ref(md)) as grpc.ClientReadableStream<IsActiveResponse>;
      for await (const msg of stream) assert.fail(`unexpected message ${JSON.stringify(msg)}`);
    };
    await rejectsWith(read({ deployment: 'ghost' }), grpc.status.NOT_FOUND, /deployment.*"ghost" not found/);
    await rejectsWith(read({ deployment: 'chat', target: '-2' }), grpc.status.INVALID_ARGUMENT, /^target: .*0\.001 to 1000000/);
  });

  test('StreamIsActive: ends with NOT_FOUND when the deployment is deleted', async () => {
    source.set('gone-soon', { ongoing: 2 });
    const listenersBefore = source.listeners.size;
    const stream = client.StreamIsActive(ref({ deployment: 'gone-soon' })) as grpc.ClientReadableStream<IsActiveResponse>;
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<IsActiveResponse>;
    assert.deepEqual((await it.next()).value, { result: true });
    source.remove('gone-soon');
    await rejectsWith(it.next(), grpc.status.NOT_FOUND, /"gone-soon" not found/);
    assert.equal(source.listeners.size, listenersBefore);
  });
});

test('close() ends open StreamIsActive streams with OK and unsubscribes them', async () => {
  const source = new FakeSource();
  source.set('chat', { desiredReplicas: 2 });
  const server = await startKedaScaler({ host: '127.0.0.1', port: 0, source, log: () => {} });
  const client = newClient(server.port);
  try {
    const stream = client.StreamIsActive(ref({ deployment: 'chat' })) as grpc.ClientReadableStream<IsActiveResponse>;
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<IsActiveResponse>;
    assert.deepEqual((await it.next()).value, { result: true });
    await server.close();
    assert.equal((await status).code, grpc.status.OK);
    assert.equal((await it.next()).done, true);
    assert.equal(source.listeners.size, 0);
    await server.close(); // idempotent
  } finally {
    client.close();
    await server.close();
  }
});

test('a port in use is a clear error', async () => {
  const source = new FakeSource();
  const first = await startKedaScaler({ host: '127.0.0.1', port: 0, source, log: () => {} });
  try {
    await assert.rejects(
      startKedaScaler({ host: '127.0.0.1', port: first.port, source, log: () => {} }),
      new RegExp(`keda scaler: cannot listen on 127\\.0\\.0\\.1:${first.port}`),
    );
  } finally {
    await first.close();
  }
});
