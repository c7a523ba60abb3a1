import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { postJson, startSim, waitFor, type RunningSim } from './sim-harness.js';

const sims: RunningSim[] = [];
after(() => Promise.all(sims.map((s) => s.close())));

const isSleeping = async (base: string) => ((await (await fetch(`${base}/is_sleeping`)).json()) as { is_sleeping: boolean }).is_sleeping;

test('sleep refuses generation with 503 model_sleeping; wake_up answers after --wake-seconds of clock time and serves again', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const s = await startSim({ clock, params: { startupSeconds: 0, wakeSeconds: 3, sleepRamGib: 2, ttftMs: 0, itlMs: 0 } });
  sims.push(s);
  assert.equal(await isSleeping(s.baseUrl), false);
  const slept = await fetch(`${s.baseUrl}/sleep?level=1`, { method: 'POST' });
  assert.equal(slept.status, 200);
  assert.equal(((await slept.json()) as { host_ram_bytes: number }).host_ram_bytes, 2 * 2 ** 30);
  assert.equal(await isSleeping(s.baseUrl), true);
  const refused = await postJson(s.baseUrl, '/v1/completions', { prompt: 'x', max_tokens: 1 });
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'model_sleeping');
  assert.equal((await fetch(`${s.baseUrl}/health`)).status, 200, 'health stays 200 while asleep, as vLLM');

  let woke = false;
  const wake = fetch(`${s.baseUrl}/wake_up`, { method: 'POST' }).then((r) => {
    woke = true;
    return r;
  });
  for (let phase = ''; phase !== 'waking'; ) phase = ((await (await fetch(`${s.baseUrl}/is_sleeping`)).json()) as { phase: string }).phase;
  clock.advance(2999);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(woke, false, 'not awake before --wake-seconds');
  clock.advance(1);
  assert.equal((await wake).status, 200);
  assert.equal(await isSleeping(s.baseUrl), false);
  const served = postJson(s.baseUrl, '/v1/completions', { prompt: 'x', max_tokens: 1 });
  await waitFor(() => s.state().running === 1, 'request running');
  clock.advance(1000);
  assert.equal((await served).status, 200);
});

test('sleep with a bad level is a 400 and changes nothing', async () => {
  const s = await startSim({ clock: new FakeClock(0), params: { startupSeconds: 0 } });
  sims.push(s);
  const r = await fetch(`${s.baseUrl}/sleep?level=7`, { method: 'POST' });
  assert.equal(r.status, 400);
  assert.equal(await isSleeping(s.baseUrl), false);
});
