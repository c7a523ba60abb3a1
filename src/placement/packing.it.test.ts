import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, waitFor, FAST_SIM, type TestServer } from '../test/harness.js';

// Fractional GPU deployments end to end: a real server with 4 virtual a100 GPUs of 40Gi, real
// engine-simulator replica processes, the real CLI.
let t: TestServer;
before(async () => {
  t = await startTestServer({ virtualGpus: 4, virtualGpuType: 'a100', virtualGpuMemoryMb: 40 * 1024 });
});
after(async () => {
  await t.close();
});

const show = async (name: string) => (await t.api('GET', `/deployments/${name}`)).body;
const live = (d: any) => d.replicaDetails.filter((r: any) => r.state !== 'failed' && r.state !== 'stopped');
const ready = async (name: string) => {
  const d = await show(name);
  return d.status === 'ready' && live(d).length === d.replicas && live(d).every((r: any) => r.state === 'ready') ? d : undefined;
};

test('six 10Gi deployments share 2 GPUs, a 2-GPU one takes the 2 left whole, a 30Gi one waits naming the memory', async () => {
  const cli = await t.cli(['deployment', 'create', 'frac-0', '--model-name', 'm', '--gpu-memory', '10Gi', '--engine-params', FAST_SIM, '-O', 'json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).gpuMemory, '10Gi');
  for (let i = 1; i < 6; i++) {
    const r = await t.api('POST', '/deployments', { name: `frac-${i}`, modelName: 'm', gpuMemory: '10Gi', engineParams: FAST_SIM });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const fractional = await Promise.all(Array.from({ length: 6 }, (_, i) => waitFor(() => ready(`frac-${i}`), { what: `frac-${i} ready`, timeoutMs: 30_000 })));
  const used = fractional.flatMap((d) => live(d).map((r: any) => r.gpus));
  assert.deepEqual(
    used.map((g: number[]) => g.length),
    [1, 1, 1, 1, 1, 1],
    'one GPU each',
  );
  assert.deepEqual([...new Set(used.flat())].sort(), [0, 1], 'all six on two GPUs');

  const whole = await t.api('POST', '/deployments', { name: 'pair', modelName: 'm', gpuCount: 2, engineParams: FAST_SIM });
  assert.equal(whole.status, 201, JSON.stringify(whole.body));
  const pair = await waitFor(() => ready('pair'), { what: 'pair ready', timeoutMs: 30_000 });
  assert.deepEqual(live(pair)[0].gpus, [2, 3]);

  const big = await t.api('POST', '/deployments', { name: 'big', modelName: 'm', gpuMemory: '30Gi', engineParams: FAST_SIM });
  assert.equal(big.status, 201, JSON.stringify(big.body));
  const pending = await waitFor(
    async () => {
      const r = live(await show('big'))[0];
      return r?.state === 'pending' && /needs 30Gi/.test(r.stateReason) ? r : undefined;
    },
    { what: 'big pending with a reason' },
  );
  assert.equal(pending.stateReason, 'needs 30Gi on one a100; the most free on any is 20Gi');

  // limits gpu shows memory per GPU and the replicas sharing it
  const limits = await t.cli(['limits', 'gpu']);
  assert.equal(limits.code, 0, limits.stderr);
  assert.match(limits.stdout, /^0\s+a100\s+40Gi\s+40Gi\s+0Mi\s+frac-/m);
  assert.match(limits.stdout, /^1\s+a100\s+40Gi\s+20Gi\s+20Gi\s+frac-\S+, frac-/m);
  assert.match(limits.stdout, /^2\s+a100\s+40Gi\s+40Gi\s+0Mi\s+pair-\S+ \(whole\)/m);
  const shown = await t.cli(['deployment', 'show', 'frac-1']);
  assert.match(shown.stdout, /GPU Memory\s+10Gi of one GPU per replica/);

  // deleting two fractional deployments on GPU 0 frees 20Gi there: still short of 30Gi... then a third frees enough
  const onGpu0 = fractional.filter((d) => live(d)[0].gpus[0] === 0).map((d) => d.name);
  for (const name of onGpu0.slice(0, 3)) assert.equal((await t.api('DELETE', `/deployments/${name}`)).status, 202);
  const placed = await waitFor(() => ready('big'), { what: 'big placed once 30Gi is free', timeoutMs: 30_000 });
  assert.deepEqual(live(placed)[0].gpus, [0]);
});

test('bad input is refused with a clear error and creates nothing', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ gpuMemory: '10Gi', gpuCount: 1 }, /either gpuMemory .* or gpuCount .*, not both/],
    [{ gpuMemory: '50Gi' }, /50Gi is more than any a100 GPU here has \(40Gi\)/],
    [{ gpuMemory: '10GB' }, /"10GB" is not a memory size/],
  ];
  for (const [body, says] of cases) {
    const r = await t.api('POST', '/deployments', { name: 'bad', modelName: 'm', ...body });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error.message, says);
    assert.equal(r.body.error.field, 'gpuMemory');
  }
  assert.equal((await t.api('GET', '/deployments/bad')).status, 404);
});

test('a model larger than its share fails to start, as a real engine runs out of memory', async () => {
  const r = await t.api('POST', '/deployments', { name: 'oom', modelName: 'm', gpuMemory: '4Gi', engineParams: `${FAST_SIM} --model-memory-gib 8` });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const failed = await waitFor(async () => (await show('oom')).replicaDetails.find((x: any) => x.state === 'failed'), {
    what: 'oom replica failed',
    timeoutMs: 20_000,
  });
  assert.ok(failed);
  const logs = await t.cli(['deployment', 'logs', 'oom']);
  assert.match(logs.stdout, /CUDA out of memory: the model needs 8192 MiB of GPU memory, this replica's share is 4096 MiB/);
});
