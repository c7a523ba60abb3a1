/** `inferscale engine list|params ENGINE`: the engines this build knows and the params each accepts (no server needed). */
import { Command } from 'commander';
import { ApiError } from '../../cli/client.js';
import { output, outputOption } from '../../cli/format.js';
import { ENGINES, type EngineName } from '../../domain/types.js';
import { engineDriver } from '../registry.js';

export function engineParamHelp(engine: string): string[] {
  if (!ENGINES.includes(engine as EngineName)) throw new ApiError(400, 'invalid_argument', `engine: must be one of ${ENGINES.join(', ')}, got "${engine}"`);
  return engineDriver(engine as EngineName).paramHelp();
}

export function engineCommand(): Command {
  const cmd = new Command('engine').alias('engines').description('inference engines and their parameters');
  cmd
    .command('list')
    .description('list the engines')
    .addOption(outputOption())
    .action((o: { output: string }) => {
      output(
        o.output,
        ENGINES.map((name) => ({ name })),
        () => ENGINES.join('\n'),
      );
    });
  cmd
    .command('params <engine>')
    .description('list the engine params (--engine-params) an engine accepts')
    .action((engine: string) => {
      process.stdout.write(
        `${engine} engine params:\n${engineParamHelp(engine)
          .map((l) => `  ${l}`)
          .join('\n')}\n`,
      );
    });
  return cmd;
}
