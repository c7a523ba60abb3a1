import type { Command } from 'commander';
import { modelCommand } from '../models/cli.js';
import { engineCommand } from '../engines/command/engine-cli.js';
import { costCommand } from '../cost/cli.js';
import { metricsCommand } from '../history/cli.js';
import { zoneCommand } from '../zones/cli.js';
import { clusterCommand } from '../cluster/cli.js';

/** Commands contributed by other modules (simulate, autoscale, cost, model, zone). */
export function extraCommands(): Command[] {
  return [costCommand(), metricsCommand(), modelCommand(), engineCommand(), zoneCommand(), clusterCommand()];
}
