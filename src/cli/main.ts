import { Command, CommanderError } from 'commander';
import { deploymentCommand } from './deployment.js';
import { limitsCommand } from './limits.js';
import { serverCommand } from './server.js';
import { ApiError } from './client.js';
import { InferscaleError } from '../core/errors.js';
import { modelCommand } from '../models/cli.js';
import { engineCommand } from '../engines/command/engine-cli.js';
import { costCommand } from '../cost/cli.js';
import { metricsCommand } from '../history/cli.js';
import { zoneCommand } from '../zones/cli.js';
import { clusterCommand } from '../cluster/cli.js';
import { simulateCommand } from '../simulator/cli.js';

/** Every top-level command, each made by its module's `xCommand()` (subcommands are added by their parent). */
const COMMANDS: readonly (() => Command)[] = [
  serverCommand, deploymentCommand, limitsCommand, costCommand, metricsCommand, modelCommand, engineCommand, zoneCommand, clusterCommand, simulateCommand,
];

const program = new Command('inferscale')
  .description('Run model-inference deployments on GPUs and scale them: by hand, to zero and back, and automatically.')
  .version('0.1.0')
  .exitOverride();
for (const command of COMMANDS) program.addCommand(command());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const code = e instanceof ApiError || e instanceof InferscaleError ? ` (${e.code})` : '';
  const msg = `error${code}: ${(e as Error).message}`;
  process.stderr.write(msg + '\n');
  process.exit(1);
}
