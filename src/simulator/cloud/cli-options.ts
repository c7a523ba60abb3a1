/**
 * `inferscale simulate --capacity on-demand|spot|mixed|skyserve --on-demand-floor N [--catalog FILE]
 * [--node-type NAME] [--availability FILE | --spot-availability PRESET|UP_H:DOWN_H] [--spot-zones N]
 * [--fallback-after DURATION] [--preemption-notice DURATION]`: the cloud model's flags as simulate() options.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../../autoscaler/spec.js';
import { invalid } from '../../core/errors.js';
import { parseAvailabilityCsv, presetByName, twoStateAvailability, type AvailabilityParams, type ZoneWindows } from './availability.js';
import { DEFAULT_CATALOG, DEFAULT_NODE_TYPE, findNodeType, loadCatalog } from './catalog.js';
import { CAPACITY_POLICIES, type CapacityPolicy, type CloudOptions, DEFAULT_FALLBACK_AFTER_MS, DEFAULT_NOTICE_MS } from './options.js';
import { DEFAULT_LAUNCH } from './provisioning.js';

export interface CloudCliOptions {
  capacity?: string;
  onDemandFloor?: string;
  catalog?: string;
  nodeType?: string;
  availability?: string;
  spotAvailability?: string;
  spotZones?: string;
  fallbackAfter?: string;
  preemptionNotice?: string;
}

export const DEFAULT_SPOT_ZONES = 3;

export function addCloudOptions(cmd: Command): Command {
  return cmd
    .option('--capacity <policy>', `the cloud model: where replicas run: ${CAPACITY_POLICIES.join(', ')} (default: no cloud model, one price per GPU-hour)`)
    .option('--on-demand-floor <n>', 'with --capacity mixed or skyserve: replicas always on on-demand', '0')
    .option('--catalog <file>', 'with --capacity: node types and prices, JSON {"nodeTypes": [...]} (default: AWS us-east-1 list, docs/spot.md)')
    .option('--node-type <name>', `with --capacity: the node type replicas run on (default ${DEFAULT_NODE_TYPE})`)
    .option('--availability <file>', 'with --capacity: replay spot availability, CSV zone,start_s,end_s,state')
    .option(
      '--spot-availability <model>',
      'with --capacity: two-state model per zone, a preset (calm, typical, churny, scarce) or UP_H:DOWN_H mean run hours',
      'typical',
    )
    .option('--spot-zones <n>', 'with --capacity and the two-state model: zones', String(DEFAULT_SPOT_ZONES))
    .option('--fallback-after <duration>', 'with --capacity mixed: spot short this long, then on-demand', `${DEFAULT_FALLBACK_AFTER_MS / 1000}s`)
    .option('--preemption-notice <duration>', 'with --capacity: notice before a spot replica dies', `${DEFAULT_NOTICE_MS / 1000}s`);
}

function whole(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw invalid(flag, `"${text}" must be a whole number from ${min} to ${max}`);
  return n;
}

function availabilityModel(text: string): AvailabilityParams {
  const m = /^([0-9.]+):([0-9.]+)$/.exec(text);
  if (!m) return presetByName(text);
  const up = Number(m[1]);
  const down = Number(m[2]);
  if (!(up > 0) || !(down > 0)) throw invalid('--spot-availability', `mean up and down hours must be above 0, got "${text}"`);
  return { name: text, upMeanH: up, downMeanH: down };
}

/** The cloud options, or undefined without --capacity. `horizonMs`: the trace's length, for drawn availability. */
export function cloudOptions(o: CloudCliOptions, horizonMs: number, seed: number): CloudOptions | undefined {
  if (o.capacity === undefined) {
    for (const [flag, v] of [
      ['--catalog', o.catalog],
      ['--node-type', o.nodeType],
      ['--availability', o.availability],
    ] as const)
      if (v !== undefined) throw invalid(flag, 'goes with --capacity');
    if (o.onDemandFloor !== undefined && o.onDemandFloor !== '0') throw invalid('--on-demand-floor', 'goes with --capacity mixed or skyserve');
    return undefined;
  }
  const capacity = o.capacity as CapacityPolicy;
  if (!CAPACITY_POLICIES.includes(capacity)) throw invalid('--capacity', `must be one of ${CAPACITY_POLICIES.join(', ')}, got "${o.capacity}"`);
  const floor = whole('--on-demand-floor', o.onDemandFloor ?? '0', 0, 1000);
  if (floor > 0 && capacity !== 'mixed' && capacity !== 'skyserve')
    throw invalid('--on-demand-floor', `only applies to --capacity mixed or skyserve (got ${capacity})`);
  const catalog = o.catalog === undefined ? DEFAULT_CATALOG : loadCatalog(o.catalog);
  const node = findNodeType(catalog, o.nodeType ?? (o.catalog === undefined ? DEFAULT_NODE_TYPE : catalog[0].name));
  let zones: ZoneWindows[];
  if (o.availability !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.availability, 'utf8');
    } catch (e) {
      throw invalid('--availability', `cannot read ${o.availability}: ${(e as Error).message}`);
    }
    zones = parseAvailabilityCsv(text);
  } else {
    const n = whole('--spot-zones', o.spotZones ?? String(DEFAULT_SPOT_ZONES), 1, 64);
    zones = twoStateAvailability(availabilityModel(o.spotAvailability ?? 'typical'), n, horizonMs, seed);
  }
  return {
    capacity,
    onDemandFloor: floor,
    node,
    zones,
    launch: DEFAULT_LAUNCH,
    noticeMs: parseDuration(o.preemptionNotice ?? `${DEFAULT_NOTICE_MS / 1000}s`, '--preemption-notice'),
    fallbackAfterMs: parseDuration(o.fallbackAfter ?? `${DEFAULT_FALLBACK_AFTER_MS / 1000}s`, '--fallback-after'),
  };
}
