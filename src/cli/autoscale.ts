import { Command, Option } from 'commander';
import { ApiClient, clientConfig } from './client.js';
import { keyValues, output, outputOption } from './format.js';
import { autoscaleSpecFromFlags } from '../autoscaler/flags.js';
import { LIVE_POLICY_NAMES } from '../autoscaler/policies.js';
import { describeSpec } from '../autoscaler/spec.js';
import type { AutoscaleSpec, LoadSample } from '../autoscaler/types.js';
import type { AutoscalerStatus } from '../controller/autoscaler-loop.js';

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** `deployment autoscale NAME --min 0 --max 8 ...` or `--off`. */
export function autoscaleCommand(): Command {
  return new Command('autoscale')
    .argument('<name>')
    .description('turn autoscaling on or change it (flags merge over the current spec); --off returns to manual replicas')
    .option('--min <n>', 'minimum replicas (0 allows scale to zero)')
    .option('--max <n>', 'maximum replicas')
    .option('--target-ongoing-requests <n>', 'ongoing requests per replica to aim for')
    .option('--ttft-p95 <duration>', 'SLO: p95 time to first token, e.g. 2s ("off" clears)')
    .option('--queue-length <n>', 'target queued requests per replica ("off" clears)')
    .option('--upscale-delay <duration>', 'stabilization before adding replicas, e.g. 0s')
    .option('--downscale-delay <duration>', 'stabilization before removing replicas, e.g. 5m')
    .option('--scale-to-zero-after <duration>', 'idle time before going to zero (min 0 only)')
    .option('--max-scale-up-rate <rate>', 'replicas added per minute at most, e.g. 4/min')
    .option('--schedule <rule>', 'raise the floor, e.g. "weekdays 08:00-18:00 at least 3" (repeatable)', collect)
    .option('--time-zone <tz>', 'IANA time zone for schedules and forecasts')
    .option('--forecast <on|off>', 'pre-warm from the learned daily/weekly demand')
    .addOption(new Option('--policy <name>', 'the policy that scales (the simulator runs the same ones); default ours').choices(LIVE_POLICY_NAMES))
    .option('--target-qps-per-replica <n>', 'requests per second per replica that skyserve aims at ("off" clears)')
    .addOption(new Option('--idle <mode>', 'what a replica taken down becomes: sleep (a wake away, where the engine can) or stop').choices(['sleep', 'stop']))
    .option('--off', 'turn autoscaling off (replicas stay where they are)')
    .addOption(outputOption())
    .action(async (name: string, o) => {
      const c = new ApiClient(clientConfig());
      const { output: fmt, off, ...flags } = o;
      const d = off
        ? await c.call('DELETE', `/deployments/${name}/autoscale`)
        : await c.call('PUT', `/deployments/${name}/autoscale`, autoscaleSpecFromFlags(flags));
      output(fmt, d, () =>
        d.autoscale
          ? `autoscaling ${name}:\n  ${describeSpec(d.autoscale as AutoscaleSpec).join('\n  ')}`
          : `autoscaling off for ${name}; ${d.replicas} replicas`,
      );
    });
}

/** The autoscaler block of `deployment show`. */
export function showAutoscaler(d: { autoscale: AutoscaleSpec | null; autoscaler?: AutoscalerStatus | null }): string {
  if (!d.autoscale) return 'Autoscaling     off (manual replicas)';
  const a = d.autoscaler;
  const s = a?.signals;
  const pairs: [string, unknown][] = [
    ['Autoscaling', describeSpec(d.autoscale).join('; ')],
    ['Signals', s ? signalsLine(s) : 'none yet'],
    ['Cold start', a ? `${(a.coldStartMs / 1000).toFixed(1)} s (measured median)` : '-'],
    ['Last decision', a?.lastDecision ? `${a.lastDecision.at}: ${a.lastDecision.desired} replicas - ${a.lastDecision.reason}` : '-'],
  ];
  if (a?.model) pairs.push(['Capacity model', modelLine(a.model)]);
  return keyValues(pairs);
}

const ms = (x: number | undefined) => (x === undefined ? undefined : `${Math.round(x)} ms`);

function signalsLine(s: LoadSample): string {
  const parts = [`ongoing ${s.ongoing.toFixed(1)}`, `queued ${s.queued}`, `arrivals ${s.arrivals}/s`];
  const more: [string, string | undefined][] = [
    ['ttft p95', ms(s.ttftP95Ms)],
    ['wait p95', ms(s.waitP95Ms)],
    ['prefill', ms(s.prefillMs)],
    ['inter-token', ms(s.itlMs)],
  ];
  for (const [k, v] of more) if (v !== undefined) parts.push(`${k} ${v}`);
  return parts.join(', ');
}

/** A policy's model summary on one line: "key value" pairs, numbers to 3 significant digits. */
export function modelLine(m: Record<string, unknown>): string {
  const show = (v: unknown) =>
    typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(3))) : typeof v === 'string' ? v : JSON.stringify(v);
  return Object.entries(m)
    .map(([k, v]) => `${k} ${show(v)}`)
    .join(', ');
}
