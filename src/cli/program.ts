import { Command, CommanderError } from 'commander';
import { deploymentCommand } from './deployment.js';
import { limitsCommand } from './limits.js';
import { serverCommand } from './server-command.js';
import { downCommand } from './down.js';
import { ApiError } from './client.js';
import { InferscaleError } from '../core/errors.js';
import { modelCommand } from '../models/cli.js';
import { engineCommand } from '../engines/command/engine-cli.js';
import { costCommand } from '../cost/cli.js';
import { metricsCommand } from '../history/cli.js';
import { zoneCommand } from '../zones/cli.js';
import { clusterCommand } from '../cluster/cli.js';
import { simulateCommand } from '../simulator/cli.js';
import { cliIo, withCliIo, type CliIo } from './io.js';

/** Every top-level command, each made by its module's `xCommand()` (subcommands are added by their parent). */
const COMMANDS: readonly (() => Command)[] = [
  serverCommand,
  downCommand,
  deploymentCommand,
  limitsCommand,
  costCommand,
  metricsCommand,
  modelCommand,
  engineCommand,
  zoneCommand,
  clusterCommand,
  simulateCommand,
];

/** The `inferscale` command with every subcommand; errors are thrown (CommanderError), never process.exit. */
export function buildProgram(): Command {
  const program = new Command('inferscale')
    .description('Run model-inference deployments on GPUs and scale them: by hand, to zero and back, and automatically.')
    .version('0.1.0');
  for (const command of COMMANDS) program.addCommand(command());
  const output = { writeOut: (s: string) => void cliIo().stdout.write(s), writeErr: (s: string) => void cliIo().stderr.write(s) };
  (function each(c: Command) {
    c.exitOverride().configureOutput(output);
    c.commands.forEach(each);
  })(program);
  return program;
}

/**
 * Runs the CLI on `argv` (process.argv's shape). Returns the exit code when it must exit (an error: its
 * message on stderr, code 1; commander's own exits such as --help), undefined when the command ran through.
 */
export async function runCli(argv: string[], io?: CliIo): Promise<number | undefined> {
  const run = async () => {
    try {
      await buildProgram().parseAsync(argv);
      return undefined;
    } catch (e) {
      if (e instanceof CommanderError) return e.exitCode;
      const code = e instanceof ApiError || e instanceof InferscaleError ? ` (${e.code})` : '';
      cliIo().stderr.write(`error${code}: ${(e as Error).message}\n`);
      return 1;
    }
  };
  return io ? withCliIo(io, run) : run();
}
