// The whole server with a Kubernetes zone that tells spot nodes apart: API, reconciler, gateway, with the
// official `openai` client as the load. The cluster is the fake API over HTTP (real @kubernetes/client-node),
// and every pod runs its own engine-simulator process (fake/pod-engines.ts): a reclaimed pod's engine gets
// SIGTERM after the pod's preStop wait and SIGKILL at the end of its grace period, as the kubelet does. What this
// shows, against the fake only: requests that fit the notice are never lost, and when an engine dies with
// requests still on it, those that had sent nothing to the client are retried and a stream cut mid-answer ends
// with a clear error that the gateway counts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { KARPENTER_L4_LABELS, startFakeKube, testZone, type FakeKube } from '../providers/kubernetes/testkit.js';
import { reclaimNodeWithNotice } from '../providers/kubernetes/fake/disruption.js';
import { PodEngines } from '../providers/kubernetes/fake/pod-engines.js';

const GPU_TAINT = { key: 'nvidia.com/gpu', effect: 'NoSchedule' };
const node = (capacity: string) => ({ ...KARPENTER_L4_LABELS, 'karpenter.sh/capacity-type': capacity });
/** each engine: 5 ms to the first token, 5 ms per token after it */
const ITL_MS = 5;
/** the pods' preStop wait (zone preStopSeconds), read by the fake kubelet from the pod template */
const PRESTOP_SECONDS = 1;
/** SIGTERM to SIGKILL (the template's own grace, preStop + drain + 15 s, is shortened for the test) */
const GRACE_MS = 2500;
/** the notice before the reclaimed node's pods are deleted (2 minutes on a cloud) */
const NOTICE_MS = 1500;

describe('a mixed deployment in a Kubernetes zone with spot nodes (fake API, one engine process per pod), through the gateway', () => {
  let k: FakeKube;
  let engines: PodEngines;
  let t: TestServer;
  let apiKey: string;
  let client: OpenAI;
  before(async () => {
    k = await startFakeKube({ autoReady: false, autoFinalize: false });
    engines = new PodEngines(k.cluster, k.controllers, {
      engineArgs: ['--model-name', 'm', '--startup-seconds', '0', '--ttft-ms', String(ITL_MS), '--itl-ms', String(ITL_MS)],
      graceMs: GRACE_MS,
    });
    k.controllers.addNode('od-1', node('on-demand'), 4, [GPU_TAINT]);
    k.controllers.addNode('spot-1', node('spot'), 4, [GPU_TAINT]);
    const zone = testZone({
      spot: { labelKey: 'karpenter.sh/capacity-type', spotValue: 'spot', onDemandValue: 'on-demand', taints: [], fallbackAfterSeconds: 300 },
      preStopSeconds: PRESTOP_SECONDS,
    });
    t = await startTestServer({
      zones: { file: { zones: [zone] }, kubeConfigFor: () => k.kc, podAddress: (p) => engines.addressOf(p.name) },
    });
  });
  after(async () => {
    await t.close();
    await engines.close();
    await k.close();
  });

  const livePods = () =>
    k.cluster.list('pods', k.namespace).items.filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.['inferscale.dev/deployment'] === 'mix');
  const nodesOfPods = () =>
    livePods()
      .map((p) => p.spec?.nodeName)
      .sort();
  const ready = async () => (await t.api('GET', '/deployments/mix')).body.readyReplicas as number;
  const metric = async (name: string) => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const m = new RegExp(`^${name}\\{deployment="mix"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  it('floor 1 of 3: 1 on-demand and 2 spot pods, each with its own engine process', async () => {
    const r = await t.api('POST', '/deployments', {
      name: 'mix',
      modelName: 'm',
      zone: 'fake-eks',
      gpuType: 'l4',
      replicas: 3,
      capacity: 'mixed',
      onDemandFloor: 1,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    apiKey = r.body.apiKey;
    client = new OpenAI({ baseURL: `${t.url}/d/mix/v1`, apiKey, maxRetries: 0, timeout: 30_000 });
    await waitFor(async () => (await ready()) === 3, { what: 'mix ready' });
    assert.deepEqual(nodesOfPods(), ['od-1', 'spot-1', 'spot-1']);
    const ports = livePods().map((p) => engines.addressOf(p.metadata.name)?.port);
    assert.equal(new Set(ports).size, 3, `three engines on three ports: ${ports.join(', ')}`);
  });

  it('a spot node reclaimed with notice under steady load (streamed and not): 0 requests lost, the reclaimed engines drain and exit on SIGTERM', async () => {
    // steady load: 4 clients (2 streaming, 2 not), one short request after another each, until told to stop
    let stop = false;
    const outcomes: string[] = [];
    const loop = async (stream: boolean) => {
      while (!stop) {
        try {
          if (stream) {
            const s = await client.chat.completions.create({ model: 'mix', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true });
            let text = '';
            for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
            outcomes.push(text.length > 0 ? 'ok' : 'empty stream');
          } else {
            const c = await client.chat.completions.create({ model: 'mix', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
            outcomes.push(c.choices[0]?.message?.content ? 'ok' : 'empty answer');
          }
        } catch (e) {
          outcomes.push(`error: ${(e as Error).message}`);
        }
      }
    };
    const clients = [loop(true), loop(true), loop(false), loop(false)];
    const spot = engines.onNode('spot-1');
    try {
      await waitFor(() => outcomes.length >= 40 && spot.every((e) => e.served > 0), { what: 'load flowing, the spot engines serving', timeoutMs: 20_000 });
      // the notice; a new spot node comes as the old one goes (Karpenter), replacements land there
      const reclaim = reclaimNodeWithNotice(k.cluster, 'spot-1', { noticeMs: NOTICE_MS, terminateTimeoutMs: 10_000 });
      k.controllers.addNode('spot-2', node('spot'), 4, [GPU_TAINT]);
      await reclaim;
      await waitFor(async () => (await ready()) === 3, { what: 'replacements ready', timeoutMs: 30_000 });
      const during = outcomes.length;
      await waitFor(() => outcomes.length >= during + 40, { what: 'load after the reclaim', timeoutMs: 20_000 });
    } finally {
      // stopped on failure too, so no client keeps looping against a closed server
      stop = true;
      await Promise.all(clients);
    }

    assert.deepEqual(nodesOfPods(), ['od-1', 'spot-2', 'spot-2']);
    const failed = outcomes.filter((o) => o !== 'ok');
    assert.equal(failed.length, 0, `${failed.length} of ${outcomes.length} requests failed: ${[...new Set(failed)].join('; ')}`);
    // the reclaimed pods' engines really went: SIGTERM after the notice and preStop, nothing left in flight, exit 0
    assert.equal(spot.length, 2);
    for (const e of spot) assert.deepEqual(e.exit, { code: 0, signal: null, sent: ['SIGTERM'] }, `engine of ${e.pod}`);
    for (const e of engines.onNode('spot-2')) assert.ok(e.served > 0, `replacement ${e.pod} served`);
  });

  it('an engine killed with requests still on it: non-streamed ones are retried elsewhere, a stream cut mid-answer ends with a clear error, counted', async () => {
    // long requests: 1500 tokens at 5 ms is 7.5 s, longer than notice + grace (4 s), so the two spot engines die under them
    const LONG = 1500;
    const retriesBefore = await metric('inferscale_gateway_retries_total');
    const cutBefore = await metric('inferscale_gateway_responses_cut_total');
    const ask = { model: 'mix', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: LONG };
    // one stream per replica (least outstanding): each has its first token before the next is sent
    const streams: Promise<{ tokens: number; error?: string }>[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await client.chat.completions.create({ ...ask, stream: true });
      const it = s[Symbol.asyncIterator]();
      const first = await it.next();
      assert.ok(!first.done);
      streams.push(
        (async () => {
          let tokens = 1;
          try {
            for (let n = await it.next(); !n.done; n = await it.next()) if (n.value.choices[0]?.delta?.content) tokens++;
            return { tokens };
          } catch (e) {
            return { tokens, error: (e as Error).message };
          }
        })(),
      );
    }
    // then one non-streamed request per replica
    const plain = [0, 1, 2].map(() =>
      client.chat.completions.create(ask).then(
        (c) => ({ tokens: c.usage?.completion_tokens ?? 0, error: undefined as string | undefined }),
        (e: Error) => ({ tokens: 0, error: e.message }),
      ),
    );
    const spot = engines.onNode('spot-2');
    await waitFor(async () => (await Promise.all(spot.map(running))).every((n) => n === 2), { what: 'a stream and a plain request on each spot engine' });

    const reclaim = reclaimNodeWithNotice(k.cluster, 'spot-2', { noticeMs: NOTICE_MS, terminateTimeoutMs: 10_000 });
    k.controllers.addNode('spot-3', node('spot'), 4, [GPU_TAINT]);
    await reclaim;
    const s = await Promise.all(streams);
    const p = await Promise.all(plain);

    // the spot engines did not finish in time: SIGTERM, then SIGKILL at the end of the grace period
    for (const e of spot) assert.deepEqual(e.exit, { code: null, signal: 'SIGKILL', sent: ['SIGTERM', 'SIGKILL'] }, `engine of ${e.pod}`);
    // every non-streamed request is answered whole: the two on the killed engines were retried on another replica
    assert.deepEqual(
      p.map((x) => x.error ?? x.tokens),
      [LONG, LONG, LONG],
    );
    assert.equal((await metric('inferscale_gateway_retries_total')) - retriesBefore, 2);
    // the stream on the on-demand pod finishes; the two on the spot pods end with the gateway's error, not a silent cut
    const whole = s.filter((x) => !x.error);
    const cut = s.filter((x) => x.error);
    assert.deepEqual(
      whole.map((x) => x.tokens),
      [LONG],
    );
    assert.equal(cut.length, 2);
    for (const x of cut) {
      assert.match(x.error!, /stream ended early: its engine went away after \d+ events/, x.error);
      assert.ok(x.tokens > 1 && x.tokens < LONG, `cut after ${x.tokens} tokens`);
    }
    assert.equal((await metric('inferscale_gateway_responses_cut_total')) - cutBefore, 2);
    await waitFor(async () => (await ready()) === 3, { what: 'replacements on spot-3', timeoutMs: 30_000 });
    assert.deepEqual(nodesOfPods(), ['od-1', 'spot-3', 'spot-3']);
  });
});

/** Requests an engine is running, from its /metrics (0 once it has gone). */
async function running(e: { port: number | undefined }): Promise<number> {
  if (e.port === undefined) return 0;
  const text = await fetch(`http://127.0.0.1:${e.port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const m = /^vllm:num_requests_running\{[^}]*\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}
