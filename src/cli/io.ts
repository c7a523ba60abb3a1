/**
 * Where the CLI writes and which environment it reads: the process's own, or, for one run of `runCli`
 * (src/cli/program.ts), the ones it was given (in-process tests), without touching globals.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CliIo {
  stdout: { write(s: string): unknown };
  /** progress is one rewritten line when `isTTY`, plain lines otherwise */
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** `--context NAME` for this run (the root option, set before the command's action runs) */
  context?: string;
}

const given = new AsyncLocalStorage<CliIo>();

/** The streams and environment of the run in progress. */
export function cliIo(): CliIo {
  return given.getStore() ?? { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Runs `fn` with `io` as the CLI's streams and environment. */
export function withCliIo<T>(io: CliIo, fn: () => T): T {
  return given.run(io, fn);
}
