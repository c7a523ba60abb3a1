/**
 * `inferscale simulate`: replay a trace against autoscaling policies and report GPU-hours, cost and SLO
 * attainment. src/cli/main.ts lists `simulateCommand` with the other commands.
 */
import { parseMemorySize } from '../placement/size.js';
import { PACKING_POLICIES, type PackingPolicy } from '../placement/placement.js';
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { outputOption, render } from '../cli/format.js';
import { DEFAULT_AUTOSCALE, parseDuration } from '../autoscaler/spec.js';
import { specFromFlagString } from '../autoscaler/flags.js';
import { invalid } from '../core/errors.js';
import { parseSimEngineParams } from '../engines/sim/params.js';
import { parsePolicyList } from './policies.js';
import { renderHtml } from './report/html.js';
import { renderJson, renderTable } from './report/table.js';
import { DEFAULT_POOL_ROUNDS, DEFAULT_PRICE_PER_GPU_HOUR, simulate, type SimulateOptions, type SimulationReport } from './simulate.js';
import { loadTrace, TRACE_FORMATS, type LoadTraceOptions, type TraceFormat } from './traces/load.js';
import { parseTokenDistribution } from './traces/tokens.js';
import { loadDeploymentReplay, type DeploymentReplay } from './from-deployment.js';
import { ApiClient, clientConfig } from '../cli/client.js';
import { addCloudOptions, cloudOptions, type CloudCliOptions } from './cloud/cli-options.js';
import { cloudLines } from './cloud/report.js';

export interface SimulateCliOptions extends CloudCliOptions {
  trace?: string;
  /** replay this deployment's recorded traffic instead of a trace file */
  deployment?: string;
  since?: string;
  format?: TraceFormat;
  policy: string;
  sloTtft: string;
  coldStart?: string;
  gpuCount?: string;
  pricePerGpuHour: string;
  engineParams?: string;
  autoscale?: string;
  baselineMin: string;
  seed: string;
  functions?: string;
  tailSample?: string;
  function?: string;
  chunks?: string;
  perChunk?: boolean;
  compress?: string;
  start?: string;
  duration?: string;
  tokens?: string;
  queueTimeout: string;
  maxQueued: string;
  maxOngoingRequests?: string;
  idleProbe: string;
  workers?: string;
  initialReplicas?: string;
  exactTicks?: boolean;
  /** the pool model: `16x80Gi`, each replica `replicaMemory`, packed by `packing` */
  pool?: string;
  replicaMemory?: string;
  packing?: string;
  idle?: string;
  wakeSeconds?: string;
  /** with --pool and --idle sleep: host RAM for sleepers per host of `gpusPerHost` GPUs */
  sleepRam?: string;
  gpusPerHost?: string;
  poolRounds?: string;
  output: 'table' | 'json' | 'yaml' | 'name' | 'html';
  out?: string;
}

function num(flag: string, text: string, opts: { int?: boolean; min?: number } = {}): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw invalid(flag, `"${text}" must be ${opts.int ? 'a whole number' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}`);
  }
  return n;
}

/** CLI options -> a report (exported for tests: no process I/O here besides reading the trace). */
export async function runSimulateCli(o: SimulateCliOptions, replay?: DeploymentReplay): Promise<SimulationReport> {
  if (!replay && !o.trace) throw invalid('--trace', 'give a trace file, or --deployment NAME to replay its recorded traffic');
  const seed = num('--seed', o.seed, { int: true, min: 0 });
  const load: LoadTraceOptions = {
    format: o.format,
    seed,
    functions: o.functions === undefined ? undefined : num('--functions', o.functions, { int: true, min: 1 }),
    tailSample: o.tailSample === undefined ? undefined : num('--tail-sample', o.tailSample, { int: true, min: 0 }),
    function: o.function,
    chunks: o.chunks?.split(',').map((c) => num('--chunks', c, { int: true, min: 0 })),
    perChunk: o.perChunk,
    compress: o.compress === undefined ? undefined : num('--compress', o.compress, { min: 1 }),
    startMs: o.start === undefined ? undefined : parseDuration(o.start, '--start'),
    durationMs: o.duration === undefined ? undefined : parseDuration(o.duration, '--duration'),
    tokens: o.tokens === undefined ? undefined : parseTokenDistribution(o.tokens),
  };
  const trace = replay ? replay.trace : loadTrace(o.trace!, load);
  const cloud = cloudOptions(o, trace.durationMs, seed);
  if (cloud && o.idle === 'sleep') throw invalid('--idle', 'sleep does not go with --capacity (the cloud model has no sleeping replicas)');
  const baselineMin = o.baselineMin === 'own' ? undefined : num('--baseline-min', o.baselineMin, { int: true, min: 0 });
  return simulate({
    trace,
    policies: parsePolicyList(o.policy),
    engine: parseSimEngineParams(o.engineParams ?? replay?.engineParams ?? ''),
    spec: o.autoscale ? specFromFlagString(o.autoscale, replay?.spec ?? undefined) : (replay?.spec ?? DEFAULT_AUTOSCALE),
    baselineMinReplicas: baselineMin,
    coldStartMs: o.coldStart === undefined ? (replay?.coldStartMs ?? 60_000) : parseDuration(o.coldStart, '--cold-start'),
    gpuCount: o.gpuCount === undefined ? (replay?.gpuCount ?? 1) : num('--gpu-count', o.gpuCount, { int: true, min: 1 }),
    pricePerGpuHour: num('--price-per-gpu-hour', o.pricePerGpuHour, { min: 0 }),
    sloTtftMs: parseDuration(o.sloTtft, '--slo-ttft'),
    seed,
    maxQueued: num('--max-queued', o.maxQueued, { int: true, min: 0 }),
    queueTimeoutMs: parseDuration(o.queueTimeout, '--queue-timeout'),
    maxOngoingPerReplica: o.maxOngoingRequests === undefined ? undefined : num('--max-ongoing-requests', o.maxOngoingRequests, { int: true, min: 1 }),
    idleProbeMs: parseDuration(o.idleProbe, '--idle-probe'),
    tickFloorMs: o.exactTicks ? 0 : undefined,
    workers: o.workers === undefined ? undefined : num('--workers', o.workers, { int: true, min: 0 }),
    initialReplicas: o.initialReplicas === undefined ? undefined : num('--initial-replicas', o.initialReplicas, { int: true, min: 0 }),
    ...poolOptions(o),
    ...(cloud ? { cloud } : {}),
  });
}

export function renderReport(r: SimulationReport, format: SimulateCliOptions['output']): string {
  if (format === 'json') return renderJson(r);
  if (format === 'html') return renderHtml(r);
  if (format === 'yaml') return `${render('yaml', JSON.parse(renderJson(r)))}\n`;
  if (format === 'name') return `${render('name', r.policies)}\n`;
  const t = r.timings ?? {};
  const total = Object.values(t).reduce((a, b) => a + b, 0);
  return (
    renderTable(r) +
    cloudLines(r.policies) +
    `\nsimulated in ${total.toFixed(2)} s (${Object.entries(t)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')})\n`
  );
}

export function simulateCommand(): Command {
  return addCloudOptions(new Command('simulate'))
    .description('Replay a request trace against autoscaling policies: GPU-hours, cost and TTFT SLO attainment, before paying for them')
    .option('--trace <path>', 'trace file, or a directory of ServeGen chunk-N-trace.csv files')
    .option('--deployment <name>', "replay this deployment's recorded traffic with its own autoscale spec, engine params and measured cold start")
    .option('--since <duration>', 'with --deployment: how far back', '7d')
    .addOption(new Option('--format <format>', 'trace format (default: detected from the content)').choices([...TRACE_FORMATS]))
    .option('--policy <list>', 'comma-separated: ours,kpa,ray,hpa,keda,skyserve,static-peak,static-mean (or all)', 'all')
    .option('--slo-ttft <duration>', 'time-to-first-token SLO', '2s')
    .option('--cold-start <duration>', "time from starting a replica until it serves (placement + model load); default 60s, or the deployment's measured one")
    .option('--gpu-count <n>', "GPUs per replica (default 1, or the deployment's)")
    .option('--price-per-gpu-hour <usd>', 'USD per GPU-hour (the default is an on-demand A100)', String(DEFAULT_PRICE_PER_GPU_HOUR))
    .option(
      '--engine-params <flags>',
      'service model flags, as for --engine sim (default: its defaults), e.g. "--ttft-ms 20 --prefill-ms-per-token 0.1 --itl-ms 12 --max-num-seqs 32"',
    )
    .option(
      '--autoscale <flags>',
      'the autoscale config under test, as for `deployment autoscale` (default: the autoscale defaults), e.g. "--min 0 --max 8 --target-ongoing-requests 4"',
    )
    .option('--baseline-min <n>', 'minimum replicas for the baselines, or "own" for each project\'s default', 'own')
    .option('--seed <n>', 'seed for drawn arrivals, token lengths and service jitter', '1')
    .option('--functions <k>', 'Azure Functions: the K busiest functions only')
    .option('--tail-sample <n>', 'Azure Functions: plus N more functions sampled from the rest')
    .option('--function <hash>', 'Azure Functions: one function (hash or unique prefix)')
    .option('--chunks <list>', 'ServeGen directory: chunk numbers, e.g. 2,13')
    .option('--per-chunk', 'ServeGen: one deployment per chunk (default: one deployment for all)')
    .option('--compress <x>', 'ServeGen: replay each 600 s window in 600/x s at the same rate')
    .option('--start <duration>', 'start of the time range, from the trace start')
    .option('--duration <duration>', 'length of the time range')
    .option('--tokens <dist>', 'token lengths where the trace has none: "promptMedian:sigma:max,outputMedian:sigma:max" (default 1024:1:8192,128:0.9:2048)')
    .option('--queue-timeout <duration>', 'gateway queue timeout', '120s')
    .option('--max-queued <n>', 'gateway queue bound', '10000')
    .option('--max-ongoing-requests <n>', "per-replica cap at the gateway (default: the engine's max-num-seqs)")
    .option('--idle-probe <duration>', 'at zero and quiet, ask the policy this often instead of every tick (0: every tick)', '30s')
    .option('--pool <GPUSxSIZE>', "also pack each policy's replicas onto a pool of GPUs, e.g. 16x80Gi (with --replica-memory; docs/gpus.md)")
    .option('--replica-memory <size>', 'with --pool: GPU memory of one replica, e.g. 16Gi')
    .option('--packing <policy>', 'with --pool: binpack or spread', 'binpack')
    .option('--idle <what>', 'what a replica the policy takes down does: stop, or sleep (wakes in --wake-seconds)', 'stop')
    .option('--wake-seconds <s>', 'with --idle sleep: time to wake a sleeping replica', '3')
    .option(
      '--sleep-ram <size>',
      'with --pool: host RAM for sleepers per host (server --sleep-ram), e.g. 512Gi; least recently slept evicted first (default: not bounded)',
    )
    .option('--gpus-per-host <n>', 'with --pool: GPUs per host, for --sleep-ram', '8')
    .option(
      '--pool-rounds <n>',
      "with --pool: rounds of feeding the pool's verdicts (waits for room, evictions) back into the deployments",
      String(DEFAULT_POOL_ROUNDS),
    )
    .option('--exact-ticks', 'ask policies at their own tick even below 1 s (Ray: 100 ms; slower)')
    .addOption(outputOption(['html']))
    .option('--out <file>', 'write the output to a file instead of stdout')
    .option('--initial-replicas <n>', "replicas running at the start of each deployment (default: what the target asks for at the first minute's load)")
    .option('--workers <n>', 'worker threads for multi-deployment traces (default: up to 4 for big ones; 0 = none)')
    .action(async (opts: SimulateCliOptions) => {
      const replay = opts.deployment ? await loadDeploymentReplay(new ApiClient(clientConfig()), opts.deployment, opts.since ?? '7d') : undefined;
      const report = await runSimulateCli(opts, replay);
      const text = renderReport(report, opts.output);
      if (opts.out) {
        writeFileSync(opts.out, text);
        process.stderr.write(`wrote ${opts.out}\n`);
      } else process.stdout.write(text);
    });
}

/**
 * `--pool 16x80Gi --replica-memory 16Gi --packing binpack [--sleep-ram 512Gi --gpus-per-host 8] [--pool-rounds 3]`
 * and `--idle sleep --wake-seconds 3` as simulate() options.
 */
export function poolOptions(
  o: Pick<SimulateCliOptions, 'pool' | 'replicaMemory' | 'packing' | 'idle' | 'wakeSeconds' | 'sleepRam' | 'gpusPerHost' | 'poolRounds'>,
): Pick<SimulateOptions, 'pool' | 'sleep' | 'poolRounds'> {
  const out: Pick<SimulateOptions, 'pool' | 'sleep' | 'poolRounds'> = {};
  const idle = o.idle ?? 'stop';
  if (idle !== 'stop' && idle !== 'sleep') throw invalid('--idle', `must be stop or sleep, got "${idle}"`);
  if (idle === 'sleep') out.sleep = { wakeMs: num('--wake-seconds', o.wakeSeconds ?? '3', { min: 0 }) * 1000, maxSleepers: 1 };
  if (o.pool === undefined) {
    if (o.replicaMemory !== undefined) throw invalid('--replica-memory', 'goes with --pool');
    if (o.sleepRam !== undefined) throw invalid('--sleep-ram', 'goes with --pool');
    return out;
  }
  const m = /^(\d+)x(.+)$/.exec(o.pool);
  if (!m || Number(m[1]) < 1) throw invalid('--pool', `must be GPUSxSIZE, e.g. 16x80Gi, got "${o.pool}"`);
  if (o.replicaMemory === undefined) throw invalid('--replica-memory', 'is required with --pool (e.g. 16Gi)');
  const gpuMemoryMb = parseMemorySize(m[2], '--pool');
  const replicaMemoryMb = parseMemorySize(o.replicaMemory, '--replica-memory');
  if (replicaMemoryMb > gpuMemoryMb) throw invalid('--replica-memory', `${o.replicaMemory} is more than a GPU of the pool has (${m[2]})`);
  const packing = (o.packing ?? 'binpack') as PackingPolicy;
  if (!PACKING_POLICIES.includes(packing)) throw invalid('--packing', `must be one of ${PACKING_POLICIES.join(', ')}`);
  out.pool = { gpus: Number(m[1]), gpuMemoryMb, replicaMemoryMb, policy: packing };
  if (o.sleepRam !== undefined) {
    if (idle !== 'sleep') throw invalid('--sleep-ram', 'goes with --idle sleep');
    const ram = parseMemorySize(o.sleepRam, '--sleep-ram');
    if (ram < replicaMemoryMb) throw invalid('--sleep-ram', `${o.sleepRam} holds no sleeper of --replica-memory ${o.replicaMemory}`);
    out.pool.sleepRamPerHostMb = ram;
    out.pool.gpusPerHost = num('--gpus-per-host', o.gpusPerHost ?? '8', { int: true, min: 1 });
  }
  if (o.poolRounds !== undefined) out.poolRounds = num('--pool-rounds', o.poolRounds, { int: true, min: 0 });
  return out;
}
