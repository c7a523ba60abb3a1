import type { Command } from 'commander';

/** Commands contributed by other modules (simulate, autoscale, cost, model, zone). */
export function extraCommands(): Command[] {
  return [];
}
