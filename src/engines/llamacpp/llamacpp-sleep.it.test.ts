import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { ReplicaView } from '../../service/views.js';
import { startTestServer, pidAlive, type TestServer } from '../../test/harness.js';
import { sleepWhenIdle, untilAsleep } from '../../test/sleep.js';

// Sleeping replicas with the real llama.cpp engine on CPU: the tiny stories260K model (read from ../shared)
// is really unloaded when its idle replica sleeps and loaded again when a request through the gateway wakes it,
// in the same process, not a new one.
const STORIES = fileURLToPath(new URL('../../../../shared/models/stories260K.gguf', import.meta.url));
let t: TestServer;
before(async () => {
  assert.ok(existsSync(STORIES), `the test model is missing: ${STORIES} (see shared/models/README.md)`);
  t = await startTestServer({ virtualGpus: 1 });
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const live = async () => ((await show('tiny')).replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));

test('llamacpp --idle sleep: the model is unloaded while asleep and loaded again in the same process by the next request', async () => {
  assert.equal((await t.cli(['model', 'create', 'stories', '--from', STORIES, '--wait-timeout', '60'])).code, 0);
  const r = await t.cli([
    'deployment',
    'create',
    'tiny',
    '--engine',
    'llamacpp',
    '--model-name',
    'stories',
    '--engine-params',
    '--threads 1 --ctx-size 256 --parallel 1',
    '--wait',
    '--wait-timeout',
    '60',
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const key = JSON.parse(r.stdout).apiKey;
  await sleepWhenIdle(t, 'tiny');
  const client = new OpenAI({ baseURL: `${t.url}/d/tiny/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
  const ask = async () => (await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 8, temperature: 0 })).choices[0].text;
  const before = await ask();
  const [first] = await live();

  const asleep = await untilAsleep(t, 'tiny', 60_000);
  assert.deepEqual([asleep?.id, asleep?.pid], [first.id, first.pid]);
  assert.ok(pidAlive(first.pid!), 'the engine process lives on while asleep');
  const logs = async () => ((await t.api('GET', '/deployments/tiny/logs?tail=200')).body.lines as string[]).join('\n');
  assert.match(await logs(), /asleep: model unloaded in \d+ms/, 'the model was really unloaded');

  const after = await ask();
  assert.equal(after, before, 'the same model answers the same greedy text after its reload');
  const [now] = await live();
  assert.deepEqual([now.id, now.pid, now.state], [first.id, first.pid, 'ready'], 'woken in the same process, not replaced');
  assert.match(await logs(), /awake: model loaded again in \d+ms/, 'the wake was a real load');
  const events = ((await t.api('GET', '/deployments/tiny/events')).body.events as { message: string }[]).map((e) => e.message);
  assert.ok(
    events.some((m) => /ready after a [\d.]+ s wake \(same process/.test(m)),
    events.join('\n'),
  );
  assert.equal(events.filter((m) => / created \(pending\)/.test(m)).length, 1, 'no second replica was created');
});
