import { Command, CommanderError } from 'commander';
import { deploymentCommand } from './deployment.js';
import { limitsCommand } from './limits.js';
import { serverCommand } from './server.js';
import { ApiError } from './client.js';
import { InferscaleError } from '../core/errors.js';
import { extraCommands } from './extra.js';
import { registerSimulateCommand } from '../simulator/cli.js';

const program = new Command('inferscale')
  .description('Run model-inference deployments on GPUs and scale them: by hand, to zero and back, and automatically.')
  .version('0.1.0')
  .exitOverride();
program.addCommand(serverCommand());
program.addCommand(deploymentCommand());
program.addCommand(limitsCommand());
for (const c of extraCommands()) program.addCommand(c);
registerSimulateCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const code = e instanceof ApiError || e instanceof InferscaleError ? ` (${e.code})` : '';
  const msg = `error${code}: ${(e as Error).message}`;
  process.stderr.write(msg + '\n');
  process.exit(1);
}
