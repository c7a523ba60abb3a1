// Several inferscale server replicas on one Kubernetes zone (`inferscale server --ha ZONE`): two real servers
// (real HTTP, real SQLite files, real replica gateway traffic) share one fake Kubernetes API over HTTP, used
// through the real @kubernetes/client-node. Verified only against the fake API, not a live cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startOrigin, type Origin } from '../models/test-origin.js';
import { startTestServer, waitFor, type TestServer } from '../test/harness.js';
import { addServerPod, haServerOptions } from '../test/ha-options.js';
import { chromiumMissing, launchChromium, loggedInPage } from '../test/browser.js';
import { startFakeZone, type FakeZone } from '../test/fake-zone.js';
import { loadAllYaml } from '@kubernetes/client-node';
import { deniedRequests, type FakeKube, type RbacRule } from '../providers/kubernetes/testkit.js';

const LEASE = 'inferscale-controller';

describe('HA: two server replicas, one leading controller, state in the cluster', () => {
  let k: FakeKube;
  let fz: FakeZone;
  let a: TestServer;
  let origin: Origin;
  let b: TestServer;
  const lost: string[] = [];
  const ha = (identity: string) => haServerOptions(fz.zones, identity, () => lost.push(identity));
  const pods = () =>
    k.cluster
      .list('pods', k.namespace, 'app.kubernetes.io/managed-by=inferscale')
      .items.filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name)
      .sort();
  const role = (t: TestServer) => t.server.member?.currentRole;
  /** the Kubernetes Events on an InferenceDeployment, oldest first: "TYPE REASON: message" */
  const kubeEvents = (name: string) =>
    (
      k.cluster.list('events', k.namespace).items as unknown as {
        involvedObject: { kind: string; name: string };
        type: string;
        reason: string;
        message: string;
      }[]
    )
      .filter((e) => e.involvedObject.kind === 'InferenceDeployment' && e.involvedObject.name === name)
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const leaderLabel = (pod: string) =>
    (k.cluster.get('pods', k.namespace, pod) as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels['inferscale.dev/leader'];

  before(async () => {
    fz = await startFakeZone({ itlMs: 20, withLlamacpp: true });
    k = fz.k;
    // the server replicas' own pods (labelled while they lead)
    for (const name of ['server-a', 'server-b']) addServerPod(k, name);
    origin = await startOrigin();
    a = await startTestServer(ha('server-a'));
    await waitFor(() => role(a) === 'leader', { what: 'a leads' });
    b = await startTestServer(ha('server-b'));
  });
  after(async () => {
    await b?.server.close();
    await a?.server.close().catch(() => undefined);
    await origin?.close();
    await fz?.close();
  });

  let apiKey = '';
  let podsBefore: string[] = [];

  it('one replica leads; the other proxies the API to it and shares its admin token', async () => {
    assert.equal(role(b), 'follower');
    assert.equal(b.server.adminToken, a.server.adminToken, 'the admin token comes from the shared Secret');
    const cluster = await b.api('GET', '/cluster');
    assert.equal(cluster.body.role, 'follower');
    assert.equal(cluster.body.leader, a.url);
    const cli = await b.cli(['cluster', 'status']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /server-b \(follower\)/);
    assert.ok(cli.stdout.includes(`leader:      ${a.url}`), cli.stdout);
    // only the leader serves KEDA's scaler; its pod carries the label the KEDA Service selects
    assert.ok(a.server.kedaPort());
    assert.equal(b.server.kedaPort(), undefined);
    assert.equal(leaderLabel('server-a'), 'true');
    assert.equal(leaderLabel('server-b'), 'false');

    const created = await b.api('POST', '/deployments', {
      name: 'shared',
      modelName: 'm',
      zone: 'fake-eks',
      gpuType: 'h100',
      replicas: 2,
      maxOngoingRequests: 4,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('x-inferscale-served-by'), a.url);
    apiKey = created.body.apiKey;
    // written through to the cluster before the API answered
    const res = k.cluster.get('inferencedeployments', k.namespace, 'shared') as { spec: { replicas: number } };
    assert.equal(res.spec.replicas, 2);
    assert.ok((k.cluster.get('secrets', k.namespace, 'inferscale-key-shared') as unknown as { data: Record<string, string> }).data['key-sealed']);
    // only the leader's store has it: the follower never writes
    assert.equal(b.server.store.listDeployments().length, 0);

    await waitFor(async () => (await b.api('GET', '/deployments/shared')).body.readyReplicas === 2, { what: 'ready through the follower API' });
    const local = await b.api('POST', '/deployments', { name: 'here', modelName: 'm', zone: 'local', replicas: 1 });
    assert.equal(local.status, 400);
    assert.equal(local.body.error.field, 'zone');
    assert.match(local.body.error.message, /HA mode/);
    const bad = await b.api('POST', '/deployments', { name: 'bad', modelName: 'm', gpuType: 'h100', replicas: -1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'replicas');
    podsBefore = pods();
    assert.equal(podsBefore.length, 2);
    // Retry-After on the follower comes from the leader's measured cold start, written to the resource's status
    const leaderS: number = await waitFor(
      () => {
        const v = a.server.routes.get('shared')!.coldStartSeconds;
        return v < 30 ? v : 0;
      },
      { what: 'the leader measured a cold start (not the 30 s default)' },
    );
    await waitFor(() => Math.abs((b.server.routes.get('shared')?.coldStartSeconds ?? -1) - leaderS) < 0.01, {
      what: "follower uses the leader's cold-start estimate",
    });
  });

  it('both gateways serve the same ready pods, and the follower reports its load to the leader', async () => {
    await waitFor(
      () => b.server.routes.get('shared')?.admission && [...b.server.routes.get('shared')!.replicas.values()].filter((r) => r.routable).length === 2,
      { what: 'follower routes' },
    );
    let arrivals = 0;
    let peakOngoing = 0;
    const id = a.server.store.getDeploymentByName('shared')!.id;
    a.server.observability.sampler.onSample((dep, s) => {
      if (dep !== id) return;
      arrivals += s.arrivals;
      peakOngoing = Math.max(peakOngoing, s.ongoing);
    });
    for (const gw of [a, b]) {
      const client = new OpenAI({ baseURL: `${gw.url}/d/shared/v1`, apiKey, maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
      assert.equal(r.choices.length, 1);
    }
    // long streams through the follower only: the leader's autoscaler signals must see them
    const client = new OpenAI({ baseURL: `${b.url}/d/shared/v1`, apiKey, maxRetries: 0 });
    const streams = Array.from({ length: 4 }, () =>
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'go' }], max_tokens: 150, stream: true }),
    );
    await waitFor(() => peakOngoing >= 4 && arrivals >= 5, {
      what: `leader sees the follower's streams (ongoing ${peakOngoing}, arrivals ${arrivals})`,
      timeoutMs: 10_000,
    });
    for (const s of await Promise.all(streams)) for await (const _ of s) void _;
    const cluster = await a.api('GET', '/cluster');
    assert.deepEqual(
      cluster.body.gateways.map((g: { gateway: string }) => g.gateway),
      ['server-b'],
    );
    assert.equal(cluster.body.gateways[0].copyRowsLeft, 0, "the follower's history copy is caught up");
    assert.match((await a.cli(['cluster', 'status'])).stdout, /server-b\s+\d+\.\ds ago\s+caught up/);
    // the same on /metrics, for alerts (nobody leads: sum(inferscale_ha_leader) == 0); promtool checks the format
    const leaderMetrics = await (await fetch(`${a.url}/metrics`)).text();
    const followerMetrics = await (await fetch(`${b.url}/metrics`)).text();
    assert.match(leaderMetrics, /^inferscale_ha_leader 1$/m);
    assert.match(leaderMetrics, /^inferscale_ha_follower_gateways 1$/m);
    assert.match(leaderMetrics, /^inferscale_ha_history_copy_rows_left\{gateway="server-b"\} 0$/m);
    assert.match(followerMetrics, /^inferscale_ha_leader 0$/m);
    assert.match(followerMetrics, /^inferscale_ha_signal_report_failures_total 0$/m);
    if (!spawnSync('promtool', ['--version']).error) {
      for (const text of [leaderMetrics, followerMetrics]) {
        const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        assert.equal(out.status, 0, out.stdout + out.stderr);
      }
    }
    // the follower's requests land in the leader's request log (for `simulate --deployment`), with their tokens
    await waitFor(async () => (await a.api('GET', '/deployments/shared/request-log?since=1h')).body.rows.length === 6, {
      what: "six requests in the leader's log",
    });
    const rows = (await a.api('GET', '/deployments/shared/request-log?since=1h')).body.rows as number[][];
    assert.equal(rows.filter((r) => r[2] === 150).length, 4, 'the four long streams, with their completion tokens');
  });

  it("the dashboard served by the follower shows the leader's deployments and which replica it is (real Chromium)", {
    skip: chromiumMissing,
  }, async () => {
    const browser = await launchChromium();
    try {
      const problems: string[] = [];
      const page = await loggedInPage(browser, b.url, b.server.adminToken);
      page.on('pageerror', (e) => problems.push(e.message));
      await page.waitForFunction(() => document.querySelector('[data-deployment="shared"] [data-testid="list-replicas"]')?.textContent === '2/2', null, {
        timeout: 15_000,
      });
      const badge = page.locator('[data-testid="cluster-badge"]');
      await badge.waitFor();
      assert.equal(await badge.textContent(), 'server-b · follower');
      assert.equal(await badge.getAttribute('title'), `leader: ${a.url}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it("a request through the follower to a deployment at zero is held, wakes the leader's autoscaler, and is served", async () => {
    // no zone given: the HA zone
    const created = await b.api('POST', '/deployments', { name: 'lazy', modelName: 'm', gpuType: 'h100', replicas: 0 });
    assert.equal(created.body.zone, 'fake-eks');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const auto = await b.api('PUT', '/deployments/lazy/autoscale', { minReplicas: 0, maxReplicas: 1, scaleToZeroAfterMs: '5m' });
    assert.equal(auto.status, 200, JSON.stringify(auto.body));
    // the follower must know the deployment and that it may hold requests at zero
    await waitFor(() => b.server.routes.get('lazy')?.holdAtZero === true, { what: 'follower holds at zero' });
    const client = new OpenAI({ baseURL: `${b.url}/d/lazy/v1`, apiKey: created.body.apiKey, maxRetries: 0, timeout: 30_000 });
    const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'wake up' }], max_tokens: 2 });
    assert.equal(r.choices.length, 1);
    const events = (await a.api('GET', '/deployments/lazy/events?kind=autoscale')).body.events as { message: string }[];
    assert.match(events[0].message, /0 -> 1/);
    const lazyId = a.server.store.getDeploymentByName('lazy')!.id;
    const rowsOf = (t: TestServer, table: string) =>
      (t.server.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE deployment_id = ?`).get(lazyId) as { n: number }).n;
    await waitFor(() => rowsOf(b, 'events') > 0 && rowsOf(b, 'request_log') > 0, { what: "the follower copied lazy's events and request" });
    assert.equal((await b.api('DELETE', '/deployments/lazy')).status, 202);
    await waitFor(() => !k.cluster.tryGet('inferencedeployments', k.namespace, 'lazy'), { what: 'lazy gone from the cluster' });
    await waitFor(() => k.cluster.list('pods', k.namespace, 'inferscale.dev/deployment=lazy').items.length === 0, { what: 'lazy pods gone' });
    // once gone, its events and request log go, on the leader and on the follower's copy
    await waitFor(() => !a.server.store.getDeploymentByName('lazy') && rowsOf(a, 'events') === 0 && rowsOf(a, 'request_log') === 0, {
      what: 'the leader forgot lazy',
    });
    await waitFor(() => rowsOf(b, 'events') === 0 && rowsOf(b, 'request_log') === 0, { what: 'the follower forgot lazy' });
  });

  it("a llamacpp deployment's model is in the cluster catalog, so a new leader can render its pods", async () => {
    origin.files.set('/tiny.gguf', { data: Buffer.from('GGUF tiny model bytes') });
    assert.equal((await b.api('POST', '/models', { name: 'tiny', from: `${origin.url}/tiny.gguf` })).status, 201);
    await waitFor(async () => (await b.api('GET', '/models/tiny')).body.state === 'ready', { what: 'model ready on the leader' });
    const created = await b.api('POST', '/deployments', { name: 'llm', modelName: 'tiny', engine: 'llamacpp', zone: 'fake-eks', gpuType: 'h100', replicas: 1 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(async () => (await b.api('GET', '/deployments/llm')).body.readyReplicas === 1, { what: 'llm ready' });
    await waitFor(
      () =>
        (k.cluster.tryGet('configmaps', k.namespace, 'inferscale-settings') as unknown as { data?: Record<string, string> } | undefined)?.data?.[
          'models.json'
        ]?.includes('tiny.gguf'),
      { what: 'the model in the cluster catalog' },
    );
    podsBefore = pods();
    assert.equal(podsBefore.length, 3);
  });

  it('when the leader stops, the follower takes over without restarting a pod, and keeps the key', async () => {
    const limits = await b.api('PUT', '/limits/gpu/h100', { max: 6 });
    assert.equal(limits.status, 200, JSON.stringify(limits.body));
    assert.equal((await b.api('PUT', '/cost/prices/h100', { usdPerGpuHour: 3.25, spotUsdPerGpuHour: 1.25 })).status, 200);
    // the follower holds a copy of what only the leader records (copy.ts), sent with the answers to its reports
    const sharedId = a.server.store.getDeploymentByName('shared')!.id;
    const rowsOf = (t: TestServer, table: string) => t.server.store.db.prepare(`SELECT * FROM ${table} WHERE deployment_id = ? ORDER BY 1, 2`).all(sharedId);
    const leaderEvents = (await a.api('GET', '/deployments/shared/events')).body.events as { id: number; message: string }[];
    assert.ok(leaderEvents.length >= 2, JSON.stringify(leaderEvents));
    // a 10 s bucket is written when the next one starts
    const leaderHistory = (await waitFor(
      () => {
        const rows = rowsOf(a, 'history_10s') as { at: number; arrivals: number }[];
        return rows.some((h) => h.arrivals > 0) ? rows : undefined;
      },
      { what: 'the leader wrote the 10 s bucket of the earlier requests', timeoutMs: 15_000 },
    ))!;
    await waitFor(
      () => {
        const copied = new Set((rowsOf(b, 'history_10s') as { at: number }[]).map((h) => h.at));
        return (
          leaderHistory.every((h) => copied.has(h.at)) &&
          rowsOf(b, 'events').length >= leaderEvents.length &&
          rowsOf(b, 'request_log').length >= 6 &&
          rowsOf(b, 'cost_usage').length === rowsOf(a, 'cost_usage').length
        );
      },
      { what: "the follower has a copy of the leader's history, events, request log and cost ledger" },
    );
    const takeover = Date.now();
    await a.server.close();
    await waitFor(() => role(b) === 'leader', { what: 'b leads', timeoutMs: 10_000 });
    assert.deepEqual(lost, [], 'a leader that stops releases the lease: nobody lost it');
    assert.match(await (await fetch(`${b.url}/metrics`)).text(), /^inferscale_ha_became_leader_total 1$/m);
    assert.ok(b.server.kedaPort());
    assert.equal(leaderLabel('server-b'), 'true');
    assert.equal(leaderLabel('server-a'), 'false');
    const d = await b.api('GET', '/deployments/shared');
    assert.equal(d.status, 200);
    assert.equal(d.body.replicas, 2);
    await waitFor(async () => (await b.api('GET', '/deployments/shared')).body.readyReplicas === 2, { what: 'adopted replicas ready on the new leader' });
    await waitFor(async () => (await b.api('GET', '/deployments/llm')).body.readyReplicas === 1, { what: 'adopted llamacpp replica ready' });
    assert.deepEqual(pods(), podsBefore, 'the same pods: adopted, none started or removed');
    // the llamacpp deployment's model came from the catalog: same pod template, so its pod is not rolled
    assert.ok(['downloading', 'ready'].includes((await b.api('GET', '/models/tiny')).body.state));
    const llm = b.server.store.getDeploymentByName('llm')!;
    assert.deepEqual(
      b.server.store.listReplicas(llm.id, ['ready']).map((r) => r.generation),
      [llm.generation],
    );
    const key = await b.api('POST', '/deployments/shared/reveal-api-key');
    assert.equal(key.body.apiKey, apiKey);
    const quota = (await b.api('GET', '/limits/gpu')).body.limits.find((l: { gpuType: string }) => l.gpuType === 'h100');
    assert.equal(quota.quota, 6, JSON.stringify(quota));
    const prices = (await b.api('GET', '/cost/prices')).body.prices as { gpuType: string; usdPerGpuHour: number; spotUsdPerGpuHour?: number }[];
    const h100 = prices.find((p) => p.gpuType === 'h100');
    assert.deepEqual([h100?.usdPerGpuHour, h100?.spotUsdPerGpuHour], [3.25, 1.25], JSON.stringify(prices));
    const client = new OpenAI({ baseURL: `${b.url}/d/shared/v1`, apiKey, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 2 });
    assert.equal(r.choices.length, 1);
    // the new leader's events, request log and charts go back past the takeover
    const events = (await b.api('GET', '/deployments/shared/events')).body.events as { id: number; message: string }[];
    for (const e of leaderEvents)
      assert.ok(
        events.some((x) => x.id === e.id && x.message === e.message),
        `event "${e.message}" kept`,
      );
    const log = (await b.api('GET', '/deployments/shared/request-log?since=1h')).body.rows as number[][];
    assert.equal(log.filter((row) => row[0] < takeover && row[2] === 150).length, 4, 'the four long streams of before the takeover');
    const chart = (await b.api('GET', '/deployments/shared/metrics?since=1h')).body;
    assert.equal(chart.resolutionMs, 10_000);
    assert.ok(
      chart.columns.at.some((at: number, i: number) => at < takeover && chart.columns.requestRate[i] > 0),
      'request rate from before the takeover',
    );
    // the 15-minute view: the new leader's 1 s points start at the takeover, so the copied 10 s points stand in
    const recent = (await b.api('GET', '/deployments/shared/metrics?since=15m')).body;
    assert.equal(recent.resolutionMs, 10_000);
    assert.ok(
      recent.columns.at.some((at: number, i: number) => at < takeover && recent.columns.requestRate[i] > 0),
      '15-minute view from before the takeover',
    );

    // the new leader's controller acts: scale-down writes the scale subresource and removes one of the same pods
    const scaled = await b.api('POST', '/deployments/shared/scale', { replicas: 1 });
    assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
    const shared = () => pods().filter((p) => p.startsWith('shared-'));
    await waitFor(() => shared().length === 1, { what: 'one pod of shared left' });
    assert.ok(podsBefore.includes(shared()[0]));
    assert.equal(k.cluster.get('inferencedeployments', k.namespace, 'shared').spec.replicas, 1);
  });

  it("an InferenceDeployment edited in the cluster (kubectl edit) goes through the leader's checks: kept when valid, set back with an event when not", async () => {
    const idep = () =>
      k.cluster.get('inferencedeployments', k.namespace, 'shared') as unknown as {
        spec: { replicas: number; gpuCount: number; labels: Record<string, string> };
      };
    k.cluster.mutate('inferencedeployments', k.namespace, 'shared', (r) => {
      r.spec.replicas = 2;
      r.spec.labels = { team: 'ml' };
    });
    await waitFor(async () => (await b.api('GET', '/deployments/shared')).body.replicas === 2, { what: 'the edit applied' });
    assert.deepEqual((await b.api('GET', '/deployments/shared')).body.labels, { team: 'ml' });
    await waitFor(() => pods().filter((p) => p.startsWith('shared-')).length === 2, { what: 'a second pod of shared' });
    assert.deepEqual(idep().spec.labels, { team: 'ml' }, 'an accepted edit stays');
    // a field fixed at creation: refused, recorded, set back
    k.cluster.mutate('inferencedeployments', k.namespace, 'shared', (r) => void (r.spec.gpuCount = 2));
    await waitFor(() => idep().spec.gpuCount === 1, { what: 'gpuCount set back' });
    const events = (await b.api('GET', '/deployments/shared/events?kind=cluster-edit')).body.events as { message: string }[];
    assert.deepEqual(
      events.map((e) => e.message),
      [
        'the InferenceDeployment was edited in the cluster: labels, replicas applied',
        'an edit of the InferenceDeployment in the cluster was refused: gpuCount: is fixed at creation (or written by inferscale only); create a new deployment to change it; set back',
      ],
    );
    assert.equal((await b.api('GET', '/deployments/shared')).body.gpuCount, 1);
    // and on the resource, as Kubernetes Events (kubectl describe idep shared), written just after the resource
    await waitFor(() => kubeEvents('shared').length === 2, { what: 'two Kubernetes Events on shared' });
    assert.deepEqual(kubeEvents('shared'), [
      'Normal EditApplied: the InferenceDeployment was edited in the cluster: labels, replicas applied',
      `Warning EditRefused: ${events[1].message}`,
    ]);
  });

  it('an InferenceDeployment applied with kubectl becomes a deployment and serves; a refused one says why in its status; kubectl delete drains and removes it', async () => {
    const idep = (name: string) =>
      k.cluster.tryGet('inferencedeployments', k.namespace, name) as unknown as { status?: { status?: string; statusDetails?: string } } | undefined;
    const apply = (name: string, spec: Record<string, unknown>) =>
      k.cluster.create('inferencedeployments', k.namespace, { apiVersion: 'inferscale.dev/v1alpha1', kind: 'InferenceDeployment', metadata: { name }, spec });
    apply('gitops', { modelName: 'm', gpuType: 'h100', replicas: 1 });
    apply('broken', { modelName: 'm', gpuType: 'h100', gpuCount: 9 });
    await waitFor(async () => (await b.api('GET', '/deployments/gitops')).body.readyReplicas === 1, { what: 'the applied deployment ready' });
    assert.equal((await b.api('GET', '/deployments/gitops')).body.zone, 'fake-eks');
    const key = (await b.api('POST', '/deployments/gitops/reveal-api-key')).body.apiKey as string;
    const client = new OpenAI({ baseURL: `${b.url}/d/gitops/v1`, apiKey: key, maxRetries: 0 });
    assert.equal((await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'applied' }], max_tokens: 2 })).choices.length, 1);
    const events = (await b.api('GET', '/deployments/gitops/events?kind=cluster-edit')).body.events as { message: string }[];
    assert.match(events[0].message, /^created from an InferenceDeployment applied in the cluster; its API key: inferscale deployment reveal-api-key gitops$/);
    await waitFor(() => idep('broken')?.status?.status === 'failed', { what: "the refused resource's status" });
    assert.match(idep('broken')!.status!.statusDetails!, /^not created: gpuCount: must be between 1 and 8/);
    assert.equal((await b.api('GET', '/deployments/broken')).status, 404);
    k.cluster.delete('inferencedeployments', k.namespace, 'broken');

    k.cluster.delete('inferencedeployments', k.namespace, 'gitops');
    await waitFor(async () => (await b.api('GET', '/deployments/gitops')).status === 404, { what: 'the deployment deleted' });
    await waitFor(() => !idep('gitops') && k.cluster.list('pods', k.namespace, 'inferscale.dev/deployment=gitops').items.length === 0, {
      what: 'the resource and the pods gone',
    });
    await waitFor(() => kubeEvents('gitops').length === 2, { what: 'two Kubernetes Events on gitops' });
    assert.deepEqual(
      kubeEvents('gitops').map((e) => e.split(':')[0]),
      ['Normal Created', 'Normal Deleting'],
    );
    await waitFor(() => kubeEvents('broken').length === 1, { what: 'the Kubernetes Event on broken' });
    assert.deepEqual(kubeEvents('broken'), ['Warning CreateRefused: gpuCount: must be between 1 and 8']);
  });

  it('a leader whose lease is taken stops its controller at once', async () => {
    k.cluster.mutate('leases', k.namespace, LEASE, (l) => {
      l.spec.holderIdentity = 'someone-else';
      l.spec.renewTime = new Date(k.cluster.now()).toISOString().replace('Z', '000Z');
    });
    await waitFor(() => lost.includes('server-b'), { what: 'b notices it lost the lease' });
    assert.equal(role(b), 'stopped');
    assert.equal(b.server.kedaPort(), undefined);
    assert.equal(leaderLabel('server-b'), 'false');
    const res = await b.api('GET', '/deployments');
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'no_leader');
  });

  it('every Kubernetes API call both servers made is allowed by deploy/base/rbac.yaml', () => {
    const yaml = readFileSync(fileURLToPath(new URL('../../deploy/base/rbac.yaml', import.meta.url)), 'utf8');
    const rules = (loadAllYaml(yaml) as { kind: string; rules?: RbacRule[] }[])
      .filter((o) => o?.kind === 'Role' || o?.kind === 'ClusterRole')
      .flatMap((o) => o.rules ?? []);
    assert.ok(k.server.requests.length > 50);
    assert.deepEqual(deniedRequests(k.server.requests, rules), []);
  });
});
