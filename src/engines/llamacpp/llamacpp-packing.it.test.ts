import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { ReplicaView } from '../../service/views.js';
import { startTestServer, waitFor, pidAlive, type TestServer } from '../../test/harness.js';
import { sleepWhenIdle, untilAsleep } from '../../test/sleep.js';

// Issue #16's live scenario with the real llama.cpp engine on CPU and the tiny stories260K model (../shared):
// 4 virtual a100 GPUs of 40Gi; six 10Gi deployments share 2 of them, a 2-GPU deployment takes the 2 left
// whole, a 30Gi one waits naming the memory; an idle one sleeps (its model really unloaded, its 10Gi free on
// its GPU's books), and its next request through the gateway, with the official openai client, is served by
// the same process after a real reload. The GPUs are virtual: llama.cpp runs on CPU, so the memory is the
// placement's accounting, not device memory.
const STORIES = fileURLToPath(new URL('../../../../shared/models/stories260K.gguf', import.meta.url));
const PARAMS = '--threads 1 --ctx-size 256 --parallel 1';
let t: TestServer;
before(async () => {
  assert.ok(existsSync(STORIES), `the test model is missing: ${STORIES} (see shared/models/README.md)`);
  t = await startTestServer({ virtualGpus: 4, virtualGpuType: 'a100', virtualGpuMemoryMb: 40 * 1024 });
});
after(async () => {
  await t.close();
});

interface GpuRow {
  index: number;
  usedMb: number;
  freeMb: number;
  replicas: string[];
  sleepers: string[];
}
const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const live = async (name: string) => ((await show(name)).replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));
const ready = async (name: string) => {
  const d = await show(name);
  const reps = (d.replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));
  return d.status === 'ready' && reps.length === d.replicas && reps.every((r) => r.state === 'ready') ? reps : undefined;
};
const gpus = async () => (await t.api('GET', '/gpus')).body.gpus as GpuRow[];
const create = async (body: Record<string, unknown>) => {
  const r = await t.api('POST', '/deployments', { engine: 'llamacpp', modelName: 'stories', engineParams: PARAMS, ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.apiKey as string;
};

test('llamacpp: six 10Gi replicas on 2 GPUs, a 2-GPU one on the 2 left whole, 30Gi pending; an idle one sleeps and wakes in the same process', async () => {
  assert.equal((await t.cli(['model', 'create', 'stories', '--from', STORIES, '--wait-timeout', '60'])).code, 0);
  const keys: string[] = [];
  for (let i = 0; i < 6; i++) keys.push(await create({ name: `frac-${i}`, gpuMemory: '10Gi' }));
  const placed = await Promise.all(Array.from({ length: 6 }, (_, i) => waitFor(() => ready(`frac-${i}`), { what: `frac-${i} ready`, timeoutMs: 60_000 })));
  const used = placed.map((reps) => reps![0].gpus);
  assert.deepEqual(
    used.map((g) => g.length),
    [1, 1, 1, 1, 1, 1],
  );
  assert.deepEqual([...new Set(used.flat())].sort(), [0, 1], 'all six on two GPUs');

  await create({ name: 'pair', gpuCount: 2 });
  const [pair] = (await waitFor(() => ready('pair'), { what: 'pair ready', timeoutMs: 60_000 }))!;
  assert.deepEqual(pair.gpus, [2, 3], 'the 2-GPU replica gets the two GPUs left whole');

  await create({ name: 'big', gpuMemory: '30Gi' });
  const pending = await waitFor(
    async () => {
      const [r] = await live('big');
      return r?.state === 'pending' && /needs 30Gi/.test(r.stateReason) ? r : undefined;
    },
    { what: 'big pending with a reason' },
  );
  assert.equal(pending!.stateReason, 'needs 30Gi on one a100; the most free on any is 20Gi');
  assert.equal((await t.api('DELETE', '/deployments/big')).status, 202);

  // one of the six goes idle and sleeps: its model is unloaded, its process stays, its 10Gi is free on the books
  const sleeperIndex = used.findIndex((g) => g[0] === 1);
  const name = `frac-${sleeperIndex}`;
  const [first] = placed[sleeperIndex]!;
  const gpu = first.gpus[0];
  const client = new OpenAI({ baseURL: `${t.url}/d/${name}/v1`, apiKey: keys[sleeperIndex], maxRetries: 0, timeout: 60_000 });
  const ask = async () => (await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 8, temperature: 0 })).choices[0].text;
  const before = await ask();
  const usedBefore = (await gpus())[gpu].usedMb;
  await sleepWhenIdle(t, name);
  await untilAsleep(t, name, 60_000);
  assert.ok(pidAlive(first.pid!), 'the engine process lives on while asleep');
  const lines = ((await t.api('GET', `/deployments/${name}/logs?tail=200`)).body.lines as string[]).join('\n');
  assert.match(lines, /asleep: model unloaded in \d+ms/, 'the model was really unloaded');
  const asleep = (await gpus())[gpu];
  assert.equal(asleep.usedMb, usedBefore - 10 * 1024, 'its 10Gi no longer counted as used');
  assert.deepEqual(asleep.sleepers, [first.id]);
  assert.ok(!asleep.replicas.includes(first.id));

  // its next request wakes it: the same process loads the model again and answers the same greedy text
  assert.equal(await ask(), before);
  const [now] = await live(name);
  assert.deepEqual([now.id, now.pid, now.state], [first.id, first.pid, 'ready'], 'woken in the same process, not replaced');
  const events = ((await t.api('GET', `/deployments/${name}/events`)).body.events as { message: string }[]).map((e) => e.message);
  assert.ok(
    events.some((m) => /ready after a [\d.]+ s wake \(same process/.test(m)),
    events.join('\n'),
  );
  assert.equal((await gpus())[gpu].usedMb, usedBefore, 'awake, its 10Gi is counted again');
});
