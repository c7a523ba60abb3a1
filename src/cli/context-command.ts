/** `inferscale context add|use|list|remove`: named servers (src/cli/contexts.ts). */
import { Command } from 'commander';
import { addContext, configPath, readConfig, removeContext, useContext, writeConfig, type CliConfig } from './contexts.js';
import { output, outputOption, table } from './format.js';
import { cliIo } from './io.js';

function change(fn: (c: CliConfig) => CliConfig): CliConfig {
  const path = configPath(cliIo().env);
  const next = fn(readConfig(path));
  writeConfig(path, next);
  return next;
}

export function contextCommand(): Command {
  const cmd = new Command('context').alias('contexts').description('named inferscale servers (INFERSCALE_URL and INFERSCALE_TOKEN win over them)');

  cmd
    .command('add <name>')
    .description('add or replace a server (the first one added becomes current)')
    .requiredOption('--url <url>', 'the server, e.g. http://gpu-box:8080')
    .option('--token <token>', 'its admin token')
    .option('--use', 'make it the current context')
    .action((name: string, o: { url: string; token?: string; use?: boolean }) => {
      const next = change((c) => {
        const added = addContext(c, name, { url: o.url, token: o.token });
        return o.use ? useContext(added, name) : added;
      });
      cliIo().stdout.write(`${name}: added${next.currentContext === name ? ' (current)' : ''}\n`);
    });

  cmd
    .command('use <name>')
    .description('make a context current')
    .action((name: string) => {
      change((c) => useContext(c, name));
      cliIo().stdout.write(`${name}: current\n`);
    });

  cmd
    .command('list')
    .description('list contexts; * marks the current one (tokens are never shown)')
    .addOption(outputOption())
    .action((o: { output: string }) => {
      const config = readConfig(configPath(cliIo().env));
      const rows = Object.entries(config.contexts).map(([name, c]) => ({ name, url: c.url, current: name === config.currentContext, hasToken: !!c.token }));
      output(o.output, rows, () =>
        table(
          ['CURRENT', 'NAME', 'URL', 'TOKEN'],
          rows.map((r) => [r.current ? '*' : '', r.name, r.url, r.hasToken ? 'set' : '-']),
        ),
      );
    });

  cmd
    .command('remove <name>')
    .alias('rm')
    .description('forget a context')
    .action((name: string) => {
      change((c) => removeContext(c, name));
      cliIo().stdout.write(`${name}: removed\n`);
    });
  return cmd;
}
