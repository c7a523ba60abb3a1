import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ReplicaView } from '../service/views.js';
import { startTestServer, waitFor, pidAlive, type TestServer } from '../test/harness.js';
import { sleepWhenIdle, untilAsleep } from '../test/sleep.js';
import { chromiumMissing, launchChromium, loggedInPage } from '../test/browser.js';

// Sleeping replicas live: a real server on 2 virtual GPUs, engine-simulator processes, the openai client.
// An idle deployment with --idle sleep goes to sleep (its process stays; another deployment is placed on the
// GPU no sleeper is bound to), and its next request is served by the same process after a wake, not a cold
// start. sleep-evict.it.test.ts: a replica whose only room is a sleeper's stops that sleeper.
let t: TestServer;
before(async () => {
  t = await startTestServer({ virtualGpus: 2 });
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const liveReplicas = async (name: string) => ((await show(name)).replicaDetails as ReplicaView[]).filter((r) => !['stopped', 'failed'].includes(r.state));
/** a cold start of 6 s, a wake of 0.5 s: a wake is told from a cold start by the time alone too */
const STARTUP_S = 6;

/** The dashboard's GPU page (real Chromium) lists the sleeper under the GPU it is bound to, linked to its deployment. */
async function dashboardShowsSleeper(replicaId: string, gpu: number): Promise<void> {
  if (chromiumMissing) {
    console.log(`# dashboard part skipped: ${chromiumMissing}`);
    return;
  }
  const browser = await launchChromium();
  try {
    const problems: string[] = [];
    const page = await loggedInPage(browser, t.url, t.server.adminToken);
    page.on('pageerror', (e) => problems.push(e.message));
    await page.click('[data-nav=gpus]');
    const sleeper = page.locator('[data-testid="gpu-sleeper"]');
    await sleeper.waitFor({ timeout: 15_000 });
    assert.equal(await sleeper.count(), 1, 'one sleeper listed');
    assert.match((await sleeper.textContent()) ?? '', new RegExp(`sleepy ${replicaId} · asleep`));
    assert.equal(await sleeper.locator('a').getAttribute('href'), '#/d/sleepy');
    assert.equal(await page.locator(`.gpu[data-gpu="${gpu}"] [data-testid="gpu-sleeper"]`).count(), 1, `listed under GPU ${gpu}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
}

test('--idle sleep: idle replica sleeps and frees its GPU; the next request wakes the same process in seconds', async () => {
  const created = await t.api('POST', '/deployments', {
    name: 'sleepy',
    modelName: 'm',
    replicas: 1,
    engineParams: `--startup-seconds ${STARTUP_S} --wake-seconds 0.5 --sleep-ram-gib 1 --ttft-ms 5 --itl-ms 2 --jitter 0`,
  });
  assert.equal(created.status, 201);
  const r = await t.cli([
    'deployment',
    'autoscale',
    'sleepy',
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
    '-O',
    'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).autoscale.idle, 'sleep');
  await waitFor(async () => (await show('sleepy')).readyReplicas === 1, { timeoutMs: 30_000, what: 'first replica ready (cold start)' });
  const client = new OpenAI({ baseURL: `${t.url}/d/sleepy/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 60_000 });
  await client.completions.create({ model: 'm', prompt: 'hi', max_tokens: 3 });
  const [first] = await liveReplicas('sleepy');
  assert.equal(first.gpus.length, 1);

  // idle: the autoscaler takes it down, and it sleeps instead of stopping
  const asleep = await untilAsleep(t, 'sleepy', 30_000);
  assert.deepEqual([asleep?.id, asleep?.pid], [first.id, first.pid], 'the same replica and process sleep');
  assert.ok(pidAlive(first.pid!), 'its process lives on');
  const lines = (await t.api('GET', '/deployments/sleepy/logs?tail=200')).body.lines as string[];
  assert.ok(
    lines.some((l) => /asleep \(level 1\)/.test(l)),
    `the engine itself was put to sleep: ${lines.slice(-5).join(' | ')}`,
  );
  const gpus = (await t.api('GET', '/gpus')).body.gpus as { index: number; heldBy: string | null; sleepers: string[] }[];
  assert.deepEqual(
    gpus.map((g) => g.heldBy),
    [null, null],
    'a sleeping replica holds no GPU',
  );
  assert.deepEqual(
    gpus.map((g) => g.sleepers),
    gpus.map((g) => (g.index === first.gpus[0] ? [first.id] : [])),
    'but /gpus says which GPU it is bound to',
  );
  assert.match((await t.cli(['limits', 'gpu'])).stdout, new RegExp(`${first.id} \\(asleep\\)`), '`limits gpu` shows the sleeper');
  assert.match((await show('sleepy')).statusDetails, /1 asleep/);
  await dashboardShowsSleeper(first.id, first.gpus[0]);

  // a replica that fits elsewhere goes to the GPU no sleeper is bound to: the sleeper's stays free for its wake
  const other = await t.api('POST', '/deployments', { name: 'other', modelName: 'm', replicas: 1, engineParams: '--startup-seconds 0.2' });
  assert.equal(other.status, 201);
  await waitFor(async () => (await show('other')).readyReplicas === 1, { timeoutMs: 30_000, what: 'the other deployment ready' });
  const otherGpus = (await liveReplicas('other'))[0].gpus;
  assert.deepEqual(otherGpus, first.gpus[0] === 0 ? [1] : [0], 'placed beside the sleeper, not on its GPU');
  assert.ok(pidAlive(first.pid!), 'the sleeper was left alone');
  assert.equal((await t.api('DELETE', '/deployments/other')).status < 300, true);
  await waitFor(async () => (await t.api('GET', '/deployments/other')).status === 404, { timeoutMs: 30_000, what: 'other deleted' });

  // the next request wakes it: served by the same process, in well under a cold start
  const started = Date.now();
  const c = await client.completions.create({ model: 'm', prompt: 'hello again', max_tokens: 3 });
  const tookMs = Date.now() - started;
  assert.equal(c.usage?.completion_tokens, 3);
  const [now] = await liveReplicas('sleepy');
  const events = ((await t.api('GET', '/deployments/sleepy/events')).body.events as { message: string; at: string }[]).map((e) => `${e.at} ${e.message}`);
  assert.deepEqual([now.id, now.pid, now.state], [first.id, first.pid, 'ready'], `woken, not replaced: ${events.join('\n')}`);
  assert.ok(tookMs < STARTUP_S * 1000, `served after ${tookMs} ms: a wake, not a ${STARTUP_S} s cold start`);
  const woke = events.find((m) => /ready after a [\d.]+ s wake/.test(m));
  assert.ok(woke, events.join('\n'));
  const wakeS = Number(/after a ([\d.]+) s wake/.exec(woke)![1]);
  assert.ok(wakeS >= 0.5 && wakeS < STARTUP_S, `measured wake ${wakeS} s`);
  assert.equal(events.filter((m) => / created \(pending\)/.test(m)).length, 1, 'no second replica was created');
});

test('a sleeping replica outlives a server restart: the next server adopts it and wakes the same process', async () => {
  const created = await t.api('POST', '/deployments', {
    name: 'nap',
    modelName: 'm',
    replicas: 1,
    engineParams: `--startup-seconds ${STARTUP_S} --wake-seconds 0.3 --ttft-ms 5 --itl-ms 2 --jitter 0`,
  });
  assert.equal(created.status, 201);
  await sleepWhenIdle(t, 'nap');
  await waitFor(async () => (await show('nap')).readyReplicas === 1, { timeoutMs: 30_000, what: 'ready' });
  const client = new OpenAI({ baseURL: `${t.url}/d/nap/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 60_000 });
  await client.completions.create({ model: 'm', prompt: 'hi', max_tokens: 2 });
  const asleep = await untilAsleep(t, 'nap', 30_000);
  await t.restart();
  assert.ok(pidAlive(asleep!.pid!), 'the restart swept no sleeping process');
  // a kept-alive socket to the old server fails once ("other side closed"): one retry, as the harness does
  const again = new OpenAI({ baseURL: `${t.url}/d/nap/v1`, apiKey: created.body.apiKey, maxRetries: 1, timeout: 60_000 });
  const c = await again.completions.create({ model: 'm', prompt: 'hi', max_tokens: 2 });
  assert.equal(c.usage?.completion_tokens, 2);
  const [now] = await liveReplicas('nap');
  assert.deepEqual([now.id, now.pid, now.state], [asleep!.id, asleep!.pid, 'ready'], 'woken after the restart, not replaced');
});
