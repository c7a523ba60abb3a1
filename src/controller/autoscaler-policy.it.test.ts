import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';

// Any policy of the registry runs live: a real server, real engine-simulator replicas, a deployment
// autoscaled by Knative's KPA (`deployment autoscale NAME --policy kpa`), the same policy the simulator runs.
let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;

test('--policy kpa: KPA scales the deployment up under load, and the decision says it was KPA', async () => {
  const created = await t.api('POST', '/deployments', {
    name: 'kpa',
    modelName: 'm',
    replicas: 1,
    maxOngoingRequests: 2,
    engineParams: '--startup-seconds 1 --ttft-ms 10 --itl-ms 100 --jitter 0',
  });
  assert.equal(created.status, 201);
  const r = await t.cli(['deployment', 'autoscale', 'kpa', '--policy', 'kpa', '--min', '1', '--max', '4', '--target-ongoing-requests', '2', '-O', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).autoscale.policy, 'kpa', 'stored with the spec');
  const unknown = await t.api('PUT', '/deployments/kpa/autoscale', { policy: 'static-peak' });
  assert.equal(unknown.status, 400, 'a simulator-only policy is refused');
  assert.match(unknown.body.error.message, /unknown policy "static-peak"/);
  await waitFor(async () => (await show('kpa')).readyReplicas === 1, { timeoutMs: 30_000, what: 'the first replica ready' });

  // 8 requests of 6 s at once on one replica taking 2: KPA's panic window sees 8 in flight against a target of 1.4
  const client = new OpenAI({ baseURL: `${t.url}/d/kpa/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 60_000 });
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => client.chat.completions.create({ model: 'm', max_tokens: 60, messages: [{ role: 'user', content: 'go' }] })),
  );
  assert.deepEqual(
    answers.map((a) => a.usage?.completion_tokens),
    Array(8).fill(60),
    'every request served in full',
  );
  const replicas = (await show('kpa')).replicas;
  assert.ok(replicas > 1 && replicas <= 4, `KPA scaled up within max (${replicas})`);

  const events = (await t.api('GET', '/deployments/kpa/events?kind=autoscale')).body.events as { message: string }[];
  const up = events.find((e) => /autoscaled 1 -> [2-4]/.test(e.message));
  assert.ok(up, `no scale-up event in ${JSON.stringify(events.map((e) => e.message))}`);
  assert.match(up.message, /: kpa (panicking|stable)/, "the reason is KPA's");
  const shown = await t.cli(['deployment', 'show', 'kpa']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /policy kpa/);
});
