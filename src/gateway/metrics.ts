import client from 'prom-client';
import type { EngineSignals } from '../engines/engine-metrics.js';
import { buildInfoLabels } from './build-info.js';

export interface ReplicaSeries {
  ttft: client.Histogram.Internal<string>;
  latency: client.Histogram.Internal<string>;
  requests(code: string): client.Counter.Internal;
  codes(): string[];
}

export interface DeploymentSeries {
  queueWait: client.Histogram.Internal<string>;
  promptTokens: client.Counter.Internal;
  completionTokens: client.Counter.Internal;
  retries: client.Counter.Internal;
  /** answers cut short after their first byte reached the client (the replica failed mid-answer) */
  responsesCut: client.Counter.Internal;
  timePerOutputToken: client.Histogram.Internal<string>;
  /** requests answered without a replica (refused, timed out) */
  rejected: ReplicaSeries;
}

export interface LiveDeployment {
  name: string;
  ongoing: number;
  queued: number;
  replicas: Iterable<{ id: string; inflight: number; engine?: EngineSignals }>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
/** vLLM's buckets for time per output token: 10 ms (fast decode) to 2.5 s (an overloaded replica) */
const TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];

/**
 * The gateway's Prometheus metrics, in their own registry (so several servers in one test process do not
 * collide). Per-replica children are created once and cached on the route, off the request path.
 */
export class GatewayMetrics {
  /**
   * `live`: the live per-deployment state, read at scrape time (nothing per request); the route table's own metrics read its routes.
   * The registry also holds Node's process metrics (CPU, memory, event loop lag, GC; prom-client's standard names).
   */
  constructor(private readonly o: { live?: () => Iterable<LiveDeployment> } = {}) {
    this.buildInfo.set(buildInfoLabels(), 1);
    client.collectDefaultMetrics({ register: this.registry });
    // gauges named *_total, which `promtool check metrics` refuses (handles and requests are in nodejs_active_*_total only)
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  readonly registry = new client.Registry();
  readonly buildInfo = new client.Gauge({
    name: 'inferscale_build_info',
    help: 'Always 1: the version, Node version and git commit of this server, as labels.',
    labelNames: ['version', 'node_version', 'commit'],
    registers: [this.registry],
  });
  readonly requests = new client.Counter({
    name: 'inferscale_gateway_requests_total',
    help: 'Requests answered by the gateway, by deployment, replica and HTTP status code.',
    labelNames: ['deployment', 'replica', 'code'],
    registers: [this.registry],
  });
  readonly ongoing = new client.Gauge({
    name: 'inferscale_gateway_requests_ongoing',
    help: 'Requests being served by replicas.',
    labelNames: ['deployment'],
    registers: [this.registry],
    collect: () => this.collectLive(),
  });
  readonly queued = new client.Gauge({
    name: 'inferscale_gateway_requests_queued',
    help: 'Requests waiting in the gateway queue.',
    labelNames: ['deployment'],
    registers: [this.registry],
  });
  readonly replicaOngoing = new client.Gauge({
    name: 'inferscale_gateway_replica_requests_ongoing',
    help: 'Requests being served per replica (ongoing: the one name used by metrics, the CLI and the dashboard).',
    labelNames: ['deployment', 'replica'],
    registers: [this.registry],
  });
  readonly engineRunning = new client.Gauge({
    name: 'inferscale_engine_requests_running',
    help: "Requests the replica's engine is running, from its /metrics (vllm:num_requests_running, sglang:num_running_reqs).",
    labelNames: ['deployment', 'replica'],
    registers: [this.registry],
  });
  readonly engineWaiting = new client.Gauge({
    name: 'inferscale_engine_requests_waiting',
    help: "Requests waiting in the replica's engine queue, from its /metrics (vllm:num_requests_waiting, sglang:num_queue_reqs).",
    labelNames: ['deployment', 'replica'],
    registers: [this.registry],
  });
  readonly engineKvCache = new client.Gauge({
    name: 'inferscale_engine_kv_cache_usage_ratio',
    help: "KV-cache use of the replica's engine, 0..1, from its /metrics (vllm:kv_cache_usage_perc, sglang:token_usage).",
    labelNames: ['deployment', 'replica'],
    registers: [this.registry],
  });
  readonly queueWait = new client.Histogram({
    name: 'inferscale_gateway_queue_wait_seconds',
    help: 'Time requests waited in the gateway queue.',
    labelNames: ['deployment'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly ttft = new client.Histogram({
    name: 'inferscale_gateway_time_to_first_token_seconds',
    help: 'Time from request arrival to the first response byte of a streamed completion.',
    labelNames: ['deployment', 'replica'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly timePerOutputToken = new client.Histogram({
    name: 'inferscale_time_per_output_token_seconds',
    help: 'Time per output token after the first (decode speed seen by the client), per successful streamed completion of two tokens or more.',
    labelNames: ['deployment'],
    buckets: TPOT_BUCKETS,
    registers: [this.registry],
  });
  readonly latency = new client.Histogram({
    name: 'inferscale_gateway_request_duration_seconds',
    help: 'Time from request arrival to the end of the response.',
    labelNames: ['deployment', 'replica'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly promptTokens = new client.Counter({
    name: 'inferscale_gateway_prompt_tokens_total',
    help: 'Prompt tokens, from usage.',
    labelNames: ['deployment'],
    registers: [this.registry],
  });
  readonly completionTokens = new client.Counter({
    name: 'inferscale_gateway_completion_tokens_total',
    help: 'Completion tokens, from usage or counted in the stream.',
    labelNames: ['deployment'],
    registers: [this.registry],
  });
  readonly retries = new client.Counter({
    name: 'inferscale_gateway_retries_total',
    help: 'Requests retried on another replica after a connection failure or an upstream timeout, before any byte was sent.',
    labelNames: ['deployment'],
    registers: [this.registry],
  });
  readonly responsesCut = new client.Counter({
    name: 'inferscale_gateway_responses_cut_total',
    help: 'Answers cut short after their first byte reached the client: the replica failed or went silent mid-answer (a stream ends with an error event, a non-streamed answer is cut); too late to retry.',
    labelNames: ['deployment'],
    registers: [this.registry],
  });
  readonly replicas = new client.Gauge({
    name: 'inferscale_deployment_replicas',
    help: 'Replicas by state.',
    labelNames: ['deployment', 'state'],
    registers: [this.registry],
  });
  readonly desired = new client.Gauge({
    name: 'inferscale_deployment_desired_replicas',
    help: 'Desired replicas.',
    labelNames: ['deployment'],
    registers: [this.registry],
  });

  /** Per-replica children, created once per replica so the request path does no label hashing. */
  replicaSeries(deployment: string, replica: string): ReplicaSeries {
    const labels = { deployment, replica };
    const byCode = new Map<string, client.Counter.Internal>();
    return {
      ttft: this.ttft.labels(labels),
      latency: this.latency.labels(labels),
      requests: (code: string) => {
        let c = byCode.get(code);
        if (!c) byCode.set(code, (c = this.requests.labels({ deployment, replica, code })));
        return c;
      },
      codes: () => [...byCode.keys()],
    };
  }

  deploymentSeries(deployment: string): DeploymentSeries {
    const l = { deployment };
    return {
      queueWait: this.queueWait.labels(l),
      promptTokens: this.promptTokens.labels(l),
      completionTokens: this.completionTokens.labels(l),
      retries: this.retries.labels(l),
      responsesCut: this.responsesCut.labels(l),
      timePerOutputToken: this.timePerOutputToken.labels(l),
      rejected: this.replicaSeries(deployment, 'none'),
    };
  }

  private collectLive(): void {
    // engine series are rebuilt at each scrape: a replica that left, or whose engine says nothing, has none
    for (const g of [this.engineRunning, this.engineWaiting, this.engineKvCache]) g.reset();
    for (const d of this.o.live?.() ?? []) {
      this.ongoing.set({ deployment: d.name }, d.ongoing);
      this.queued.set({ deployment: d.name }, d.queued);
      for (const r of d.replicas) {
        const labels = { deployment: d.name, replica: r.id };
        this.replicaOngoing.set(labels, r.inflight);
        if (!r.engine) continue;
        this.engineRunning.set(labels, r.engine.running);
        this.engineWaiting.set(labels, r.engine.waiting);
        if (r.engine.kvCacheUsage !== undefined) this.engineKvCache.set(labels, r.engine.kvCacheUsage);
      }
    }
  }

  /** Drops the series of a deleted deployment and of its replicas. */
  forget(deployment: string, replicas: readonly string[], codes: readonly string[]): void {
    for (const m of [
      this.ongoing,
      this.queued,
      this.queueWait,
      this.promptTokens,
      this.completionTokens,
      this.retries,
      this.responsesCut,
      this.timePerOutputToken,
      this.desired,
    ])
      m.remove({ deployment });
    for (const state of ['pending', 'starting', 'ready', 'draining']) this.replicas.remove({ deployment, state });
    for (const replica of replicas) this.forgetReplica(deployment, replica, codes);
  }

  /** Drops every series labelled with one replica (it left the deployment): /metrics stops listing it. */
  forgetReplica(deployment: string, replica: string, codes: readonly string[]): void {
    for (const m of [this.replicaOngoing, this.ttft, this.latency]) m.remove({ deployment, replica });
    for (const code of codes) this.requests.remove({ deployment, replica, code });
  }
}
