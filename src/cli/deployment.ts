import { Command, Option } from 'commander';
import { CAPACITY_TYPES, describeCapacity } from '../domain/capacity.js';
import { ApiClient, ApiError, clientConfig } from './client.js';
import { keyValues, output, outputOption, table } from './format.js';
import type { DeploymentView } from '../service/views.js';
import { autoscaleCommand, showAutoscaler } from './autoscale.js';
import { showExtras } from '../history/cli.js';
import { deploymentExportCommand } from '../zones/cli.js';
import { parseDuration } from '../autoscaler/units.js';
import { GPU_COUNT } from '../domain/limits.js';
import { cliIo } from './io.js';
import { durationMs, showDuration } from './duration-arg.js';
import { ProgressWriter, readyProgress, type ReadySample } from './progress.js';
import { logsCommand } from './logs-command.js';

const fmtOpt = () => outputOption();
const waitTimeoutOpt = () =>
  new Option('--wait-timeout <duration>', 'give up waiting after this long, e.g. 90s, 5m (a bare number: seconds)')
    .argParser(durationMs('wait-timeout'))
    .default(600_000, '10m');
const capacityOpt = () => new Option('--capacity <type>', 'on-demand | spot | mixed (docs/spot.md)').choices([...CAPACITY_TYPES]);
const client = () => new ApiClient(clientConfig());

function intArg(name: string) {
  return (v: string) => {
    if (!/^-?\d+$/.test(v.trim())) throw new ApiError(400, 'invalid_argument', `${name}: must be an integer, got "${v}"`);
    return Number(v);
  };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function labels(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ApiError(400, 'invalid_argument', `label: expected key=value, got "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function showDeployment(d: DeploymentView): string {
  const pairs: [string, unknown][] = [
    ['ID', d.id],
    ['Name', d.name],
    ['Zone', d.zone],
    ['Status', d.status],
    ['Status Details', d.statusDetails],
    ['Model', d.modelName],
    ['Engine', d.engine],
    ['Engine Params', d.engineParams],
    ['GPU Type', d.gpuType],
    ['GPU Count', d.gpuCount],
    ['Capacity', d.capacity ? describeCapacity(d.capacity) : 'on-demand'],
    ...(d.gpuMemory ? [['GPU Memory', `${d.gpuMemory} of one GPU per replica`] as [string, string]] : []),
    ['Replicas', `${d.readyReplicas}/${d.replicas} ready`],
    ['Total GPUs', d.totalGpus],
    ['Deployment URL', d.url],
    [
      'Labels',
      Object.entries(d.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ],
    ['Created', d.createdAt],
    ['Updated', d.updatedAt],
  ];
  if (d.apiKey) pairs.push(['API Key', d.apiKey]);
  let out = keyValues(pairs);
  if (d.replicaDetails.length) {
    out +=
      '\n\n' +
      table(
        ['REPLICA', 'STATE', 'GPUS', 'PID', 'PORT', 'STARTED', 'COLD START', 'ENGINE RUN/WAIT/KV', 'REASON'],
        d.replicaDetails.map((r) => [
          r.id,
          r.state,
          r.gpus.join(',') || '-',
          r.pid,
          r.port,
          r.startedAt,
          r.coldStartMs === null ? '-' : `${(r.coldStartMs / 1000).toFixed(1)}s`,
          engineCell(r.engine),
          r.stateReason,
        ]),
      );
  }
  return out;
}

/** The engine's own load, from its /metrics: running/waiting/KV-cache use ("-" when it says nothing). */
function engineCell(e: DeploymentView['replicaDetails'][number]['engine']): string {
  if (!e) return '-';
  return `${e.running}/${e.waiting}/${e.kvCacheUsage === undefined ? '-' : `${Math.round(e.kvCacheUsage * 100)}%`}`;
}

/**
 * Polls until the deployment reaches its desired state. Progress on stderr: on a TTY one line with replicas
 * ready, elapsed time and ETA; otherwise a line per phase change.
 */
async function waitFor(name: string, timeoutMs: number, gone = false): Promise<DeploymentView | undefined> {
  const c = client();
  const deadline = Date.now() + timeoutMs;
  const progress = new ProgressWriter();
  let first: ReadySample | undefined;
  for (;;) {
    let d: DeploymentView;
    try {
      d = await c.call<DeploymentView>('GET', `/deployments/${name}`);
    } catch (e) {
      if (gone && e instanceof ApiError && e.status === 404) {
        progress.done(`${name}: deleted`);
        return undefined;
      }
      progress.done();
      throw e;
    }
    const phase = `${name}: ${d.status}: ${d.statusDetails}`;
    const now = { at: Date.now(), ready: d.readyReplicas };
    first ??= now;
    progress.update(`${phase} (${readyProgress(first, now, d.replicas)})`, phase);
    if (!gone && (d.status === 'ready' || (d.status === 'stopped' && d.replicas === 0))) {
      progress.done();
      return d;
    }
    if (!gone && d.status === 'error') {
      progress.done();
      throw new ApiError(500, 'deployment_error', `deployment ${name} failed: ${d.statusDetails}`);
    }
    if (Date.now() > deadline) {
      progress.done();
      throw new ApiError(504, 'timeout', `gave up waiting for ${name} after ${showDuration(timeoutMs)} (status ${d.status}: ${d.statusDetails})`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function deploymentCommand(): Command {
  const cmd = new Command('deployment').alias('deployments').description('create, list, show, scale, update and delete deployments');

  cmd
    .command('create <name>')
    .description('create a deployment (prints its URL and API key)')
    .requiredOption('--model-name <model>', 'model to serve')
    .option('--engine <engine>', 'sim | llamacpp | vllm | sglang | command', 'sim')
    .option('--engine-params <params>', 'engine flags, e.g. "--ttft-ms 50 --itl-ms 10"')
    .option('--inference-engine-params <params>', 'alias of --engine-params')
    .option('--gpu-type <type>', 'GPU type (default: the only type on this server)')
    .option('--gpu-count <n>', `GPUs per replica, ${GPU_COUNT.min}-${GPU_COUNT.max}, fixed after creation`, intArg('gpu-count'))
    .option('--gpu-memory <size>', 'instead of --gpu-count: each replica needs this much memory on one GPU, shared with others (e.g. 6Gi; docs/gpus.md)')
    .option('--replicas <n>', 'replicas (0 allowed)', intArg('replicas'))
    .option('-z, --zone <zone>', 'zone (default: local; on servers in HA mode, their Kubernetes zone)')
    .option('--max-ongoing-requests <n>', 'per-replica cap on outstanding requests at the gateway', intArg('max-ongoing-requests'))
    .option('--label <key=value>', 'label (repeatable)', collect)
    .addOption(capacityOpt())
    .option('--on-demand-floor <n>', 'mixed: replicas always on on-demand nodes', intArg('on-demand-floor'))
    .option('--wait', 'wait until ready, showing progress')
    .addOption(waitTimeoutOpt())
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const d = await client().call<DeploymentView>('POST', '/deployments', {
        name,
        modelName: o.modelName,
        engine: o.engine,
        engineParams: o.engineParams ?? o.inferenceEngineParams,
        gpuType: o.gpuType,
        gpuCount: o.gpuCount,
        gpuMemory: o.gpuMemory,
        replicas: o.replicas,
        zone: o.zone,
        maxOngoingRequests: o.maxOngoingRequests,
        labels: labels(o.label),
        capacity: o.capacity,
        onDemandFloor: o.onDemandFloor,
      });
      let final = d;
      if (o.wait) final = { ...((await waitFor(name, o.waitTimeout)) ?? d), apiKey: d.apiKey };
      output(o.output, final, () => showDeployment(final));
    });

  cmd
    .command('list')
    .description('list deployments')
    .addOption(fmtOpt())
    .action(async (o) => {
      const { deployments } = await client().call<{ deployments: DeploymentView[] }>('GET', '/deployments');
      output(o.output, deployments, () =>
        table(
          ['NAME', 'ZONE', 'STATUS', 'MODEL', 'ENGINE', 'GPU TYPE', 'GPU COUNT', 'REPLICAS', 'TOTAL GPUS', 'URL'],
          deployments.map((d) => [
            d.name,
            d.zone,
            d.status,
            d.modelName,
            d.engine,
            d.gpuType,
            d.gpuCount,
            `${d.readyReplicas}/${d.replicas}`,
            d.totalGpus,
            d.url,
          ]),
        ),
      );
    });

  cmd
    .command('show <name>')
    .description('show a deployment and its replicas (never its key)')
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const c = client();
      const d = await c.call<DeploymentView & { autoscaler: any }>('GET', `/deployments/${name}`);
      const extra = o.output === 'table' ? await showExtras(c, name) : [];
      output(o.output, d, () => `${showDeployment(d)}${extra.length ? `\n\n${keyValues(extra)}` : ''}\n\n${showAutoscaler(d)}`);
    });

  cmd
    .command('scale <name> <replicas>')
    .description('set the number of replicas (0 stops GPU use and keeps URL and key)')
    .option('--wait', 'wait until the new count is ready')
    .addOption(waitTimeoutOpt())
    .addOption(fmtOpt())
    .action(async (name: string, replicas: string, o) => {
      const n = intArg('replicas')(replicas);
      let d = await client().call<DeploymentView>('POST', `/deployments/${name}/scale`, { replicas: n });
      if (o.wait) d = (await waitFor(name, o.waitTimeout)) ?? d;
      output(o.output, d, () => showDeployment(d));
    });

  cmd
    .command('update <name>')
    .description('change engine params (rolls replicas one at a time), model name, labels or gateway limits')
    .option('--engine-params <params>', 'new engine flags')
    .option('--model-name <model>', 'model to serve')
    .option('--gpu-count <n>', 'not allowed: fixed at creation', intArg('gpu-count'))
    .option('--max-ongoing-requests <n>', 'per-replica cap', intArg('max-ongoing-requests'))
    .option('--label <key=value>', 'replace labels (repeatable)', collect)
    .addOption(capacityOpt())
    .option('--on-demand-floor <n>', 'mixed: replicas always on on-demand nodes', intArg('on-demand-floor'))
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const d = await client().call<DeploymentView>('PATCH', `/deployments/${name}`, {
        engineParams: o.engineParams,
        modelName: o.modelName,
        gpuCount: o.gpuCount,
        maxOngoingRequests: o.maxOngoingRequests,
        labels: labels(o.label),
        capacity: o.capacity,
        onDemandFloor: o.onDemandFloor,
      });
      output(o.output, d, () => showDeployment(d));
    });

  cmd
    .command('delete <names...>')
    .description('delete deployments (their URL and API key are lost)')
    .option('--wait', 'wait until replicas are stopped and the deployment is gone')
    .addOption(waitTimeoutOpt())
    .action(async (names: string[], o) => {
      for (const name of names) {
        await client().call('DELETE', `/deployments/${name}`);
        if (o.wait) await waitFor(name, o.waitTimeout, true);
        else cliIo().stdout.write(`${name}: deleting\n`);
      }
    });

  cmd.addCommand(logsCommand());

  cmd
    .command('reveal-api-key <name>')
    .description("print the deployment's API key")
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const r = await client().call<{ name: string; apiKey: string }>('POST', `/deployments/${name}/reveal-api-key`);
      output(o.output, r, () => r.apiKey);
    });

  cmd
    .command('rotate-api-key <name>')
    .description('replace the API key; the old one keeps working for the grace period, then stops')
    .option('--grace <duration>', 'how long the old key is still accepted, e.g. 10m (0: refused at once)', '5m')
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const graceSeconds = Math.round(parseDuration(o.grace, 'grace') / 1000);
      const r = await client().call<{ name: string; apiKey: string; previousKeyValidUntil: string | null }>('POST', `/deployments/${name}/rotate-api-key`, {
        graceSeconds,
      });
      output(o.output, r, () => r.apiKey);
      if (o.output === 'table')
        cliIo().stderr.write(r.previousKeyValidUntil ? `the old key works until ${r.previousKeyValidUntil}\n` : 'the old key no longer works\n');
    });

  cmd
    .command('events <name>')
    .description('scaling decisions and replica events, oldest first')
    .option('--limit <n>', 'how many', intArg('limit'), 50)
    .option('--kind <kind>', 'only this kind (autoscale, scale, replica, status, ...)')
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const q = `?limit=${o.limit}${o.kind ? `&kind=${encodeURIComponent(o.kind)}` : ''}`;
      const { events } = await client().call<{ events: { at: string; kind: string; message: string }[] }>('GET', `/deployments/${name}/events${q}`);
      output(o.output, events, () =>
        table(
          ['TIME', 'KIND', 'MESSAGE'],
          events.map((e) => [e.at, e.kind, e.message]),
        ),
      );
    });
  cmd.addCommand(autoscaleCommand());
  cmd.addCommand(deploymentExportCommand());
  return cmd;
}
