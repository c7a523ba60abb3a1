/** The cloud model's settings as the report shows them (zones summarised, not listed interval by interval). */
import { round } from '../stats.js';
import { upFraction } from './availability.js';
import type { CloudOptions } from './options.js';

export function describeCloud(c: CloudOptions, horizonMs: number): Record<string, unknown> {
  return {
    capacity: c.capacity,
    onDemandFloor: c.onDemandFloor,
    node: c.node,
    zones: c.zones.map((z) => ({ zone: z.zone, downIntervals: z.down.length, upFraction: round(upFraction(z, horizonMs), 4) })),
    launch: { medianS: c.launch.medianMs / 1000, sigma: c.launch.sigma, maxS: c.launch.maxMs / 1000 },
    noticeS: c.noticeMs / 1000,
    fallbackAfterS: c.fallbackAfterMs / 1000,
  };
}
