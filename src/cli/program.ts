import { Command, CommanderError, Option } from 'commander';
import { deploymentCommand } from './deployment.js';
import { limitsCommand } from './limits.js';
import { serverCommand } from './server-command.js';
import { downCommand } from './down.js';
import { ApiError } from './client.js';
import { InferscaleError } from '../core/errors.js';
import { contextCommand } from './context-command.js';
import { completionCommand } from './completion.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
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
  contextCommand,
  completionCommand,
];

/** `-o` and `-O` both name the output format (kubectl's and exo's habit, and this CLI's first one): the other one, hidden. */
function addOutputAlias(c: Command): void {
  const o = c.options.find((x) => x.long === '--output');
  if (!o?.short) return;
  const alias = new Option(`${o.short === '-o' ? '-O' : '-o'} <format>`).hideHelp();
  if (o.argChoices) alias.choices(o.argChoices);
  alias.attributeName = () => 'output';
  c.addOption(alias);
}

/** The `inferscale` command with every subcommand; errors are thrown (CommanderError), never process.exit. */
export function buildProgram(): Command {
  const program = new Command('inferscale')
    .description('Run model-inference deployments on GPUs and scale them: by hand, to zero and back, and automatically.')
    .version('0.1.0')
    .option('--context <name>', 'the server of this context, for this command (wins over INFERSCALE_URL and the current context)')
    .hook('preAction', (root) => {
      const name = root.opts().context as string | undefined;
      if (name !== undefined) cliIo().context = name;
    });
  for (const command of COMMANDS) program.addCommand(command());
  const output = { writeOut: (s: string) => void cliIo().stdout.write(s), writeErr: (s: string) => void cliIo().stderr.write(s) };
  (function each(c: Command) {
    c.exitOverride().configureOutput(output);
    addOutputAlias(c);
    c.commands.forEach(each);
  })(program);
  return program;
}

/**
 * Runs the CLI on `argv` (process.argv's shape). Returns the exit code when it must exit (an error: its
 * message on stderr and its code from exit-codes.ts; commander's own exits such as --help), undefined when
 * the command ran through.
 */
export async function runCli(argv: string[], io?: CliIo): Promise<number | undefined> {
  const run = async () => {
    try {
      await buildProgram().parseAsync(argv);
      return undefined;
    } catch (e) {
      const exit = exitCodeFor(e);
      if (e instanceof CommanderError) return exit; // commander printed its own message
      const code = e instanceof ApiError || e instanceof InferscaleError ? ` (${e.code})` : '';
      cliIo().stderr.write(`error${code}: ${(e as Error).message}\n`);
      return exit === EXIT.ok ? EXIT.error : exit;
    }
  };
  return withCliIo({ ...(io ?? cliIo()) }, run); // a copy: --context is set on it for this run only
}
