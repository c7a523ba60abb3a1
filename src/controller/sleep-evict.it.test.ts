import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ReplicaView } from '../service/views.js';
import { startTestServer, waitFor, pidAlive, FAST_SIM, type TestServer } from '../test/harness.js';
import { sleepWhenIdle, untilAsleep } from '../test/sleep.js';

// Sleepers and placement live: a real server on one virtual a100 of 40Gi, engine-simulator processes, real
// HTTP and the openai client. Two 20Gi deployments sleep on it, one after the other; a third 20Gi deployment
// has room only where they are bound, so the least recently slept one is stopped for it (an event naming the
// replica that needed the room) and it is placed at once, while the other sleeper still wakes, same process.
let t: TestServer;
before(async () => {
  t = await startTestServer({ virtualGpus: 1, virtualGpuType: 'a100', virtualGpuMemoryMb: 40 * 1024 });
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const live = async (name: string) => ((await show(name)).replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));
const events = async (name: string) => ((await t.api('GET', `/deployments/${name}/events`)).body.events as { message: string }[]).map((e) => e.message);
const STARTUP_S = 3;

/** A 20Gi deployment that sleeps when idle, served once, then waited on until it sleeps; returns its sleeping replica and key. */
async function sleepingDeployment(name: string): Promise<{ replica: ReplicaView; apiKey: string }> {
  const created = await t.api('POST', '/deployments', {
    name,
    modelName: 'm',
    gpuMemory: '20Gi',
    replicas: 1,
    engineParams: `--startup-seconds ${STARTUP_S} --wake-seconds 0.3 --sleep-ram-gib 1 --ttft-ms 5 --itl-ms 2 --jitter 0`,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await sleepWhenIdle(t, name);
  await waitFor(async () => (await show(name)).readyReplicas === 1, { timeoutMs: 30_000, what: `${name} ready` });
  const client = new OpenAI({ baseURL: `${t.url}/d/${name}/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 60_000 });
  await client.completions.create({ model: 'm', prompt: 'hi', max_tokens: 2 });
  const replica = await untilAsleep(t, name, 30_000);
  return { replica: replica!, apiKey: created.body.apiKey };
}

test('a pending deployment whose only room is held by sleepers stops the least recently slept one and is placed; the other still wakes', async () => {
  const older = await sleepingDeployment('older');
  // the second fits beside the first's reserved 20Gi: nothing is stopped for it
  const newer = await sleepingDeployment('newer');
  assert.ok(pidAlive(older.replica.pid!), 'the first sleeper was left alone while the second found room beside it');
  assert.deepEqual([older.replica.gpus, newer.replica.gpus], [[0], [0]]);

  const third = await t.api('POST', '/deployments', { name: 'third', modelName: 'm', gpuMemory: '20Gi', replicas: 1, engineParams: FAST_SIM });
  assert.equal(third.status, 201, JSON.stringify(third.body));
  const placed = (await waitFor(
    async () => {
      const [r] = await live('third');
      return r?.state === 'ready' ? r : undefined;
    },
    { timeoutMs: 30_000, what: 'third placed and ready' },
  ))!;
  assert.deepEqual(placed.gpus, [0]);
  assert.ok(!(await events('third')).some((m) => / pending: /.test(m)), 'never left pending for room');

  // the least recently slept sleeper stopped for it, named in its event; its process is gone
  assert.deepEqual(await live('older'), [], 'the older deployment has no replica left');
  const said = (await events('older')).find((m) => m.includes(`replica ${older.replica.id} stopped while asleep`));
  assert.ok(said?.includes(`its room was needed to place replica ${placed.id} of third`), said);
  await waitFor(() => !pidAlive(older.replica.pid!), { what: 'the stopped sleeper process gone' });
  assert.ok((await events('third')).some((m) => m.includes(`after stopping sleeping ${older.replica.id} for room`)));

  // the other sleeper was kept, and its next request wakes the same process (not a cold start)
  const [kept] = await live('newer');
  assert.deepEqual([kept.id, kept.state], [newer.replica.id, 'sleeping']);
  assert.ok(pidAlive(newer.replica.pid!));
  const client = new OpenAI({ baseURL: `${t.url}/d/newer/v1`, apiKey: newer.apiKey, maxRetries: 0, timeout: 60_000 });
  const c = await client.completions.create({ model: 'm', prompt: 'again', max_tokens: 2 });
  assert.equal(c.usage?.completion_tokens, 2);
  const [now] = await live('newer');
  assert.deepEqual([now.id, now.pid, now.state], [newer.replica.id, newer.replica.pid, 'ready'], 'woken, not replaced');
  assert.ok((await events('newer')).some((m) => /ready after a [\d.]+ s wake/.test(m)));
});
