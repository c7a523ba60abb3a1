/** `inferscale deployment logs NAME [--tail N] [--since 10m] [--replica ID] [-f]`. */
import { Command } from 'commander';
import { ApiClient, ApiError, clientConfig } from './client.js';
import { durationMs } from './duration-arg.js';
import { cliIo } from './io.js';
import { newLines } from './log-follow.js';

/** Lines fetched per replica and poll while following (new lines beyond this between two polls are missed). */
const FOLLOW_WINDOW = 1000;

function intArg(name: string) {
  return (v: string) => {
    if (!/^\d+$/.test(v.trim())) throw new ApiError(400, 'invalid_argument', `${name}: must be an integer, got "${v}"`);
    return Number(v);
  };
}

interface LogsOptions {
  tail: number;
  since?: string;
  replica?: string;
  follow?: boolean;
  interval: number;
}

function logsPath(name: string, q: { tail: number; since?: string; replica?: string }): string {
  const p = new URLSearchParams({ tail: String(q.tail) });
  if (q.since) p.set('since', q.since);
  if (q.replica) p.set('replica', q.replica);
  return `/deployments/${encodeURIComponent(name)}/logs?${p}`;
}

const print = (lines: readonly string[]) => {
  if (lines.length) cliIo().stdout.write(`${lines.join('\n')}\n`);
};

interface ReplicaState {
  id: string;
  startedAt: string | null;
  stoppedAt: string | null;
}

/** The replicas to read this poll: started and running, or just `only`; a stopped one once more after it stops (its last lines). */
async function replicasToRead(c: ApiClient, name: string, only: string | undefined, finished: Set<string>, seen: Map<string, string[]>): Promise<string[]> {
  const { replicas } = await c.call<{ replicas: ReplicaState[] }>('GET', `/deployments/${encodeURIComponent(name)}/replicas`);
  if (only !== undefined && !replicas.some((r) => r.id === only)) throw new ApiError(404, 'not_found', `replica "${only}" not found`);
  return replicas
    .filter((r) => r.startedAt !== null && (only === undefined || r.id === only) && !finished.has(r.id))
    .filter((r) => {
      if (r.stoppedAt === null || only !== undefined) return true;
      if (seen.has(r.id)) finished.add(r.id);
      return seen.has(r.id);
    })
    .map((r) => r.id);
}

/**
 * Follows until the deployment is deleted (or the process is interrupted): each running replica's backlog as
 * asked (--tail, --since), then, every --interval, what each replica (new ones included) wrote since; a replica
 * that stops is read once more, then left.
 */
async function follow(name: string, o: LogsOptions): Promise<void> {
  const c = client();
  const seen = new Map<string, string[]>();
  const finished = new Set<string>();
  const window = Math.max(o.tail, FOLLOW_WINDOW);
  for (;;) {
    try {
      for (const id of await replicasToRead(c, name, o.replica, finished, seen)) {
        const prev = seen.get(id);
        const path = prev ? logsPath(name, { tail: window, replica: id }) : logsPath(name, { tail: o.tail, since: o.since, replica: id });
        const { lines } = await c.call<{ lines: string[] }>('GET', path);
        print(prev ? newLines(prev, lines) : lines);
        seen.set(id, lines);
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.message.startsWith('deployment')) {
        cliIo().stderr.write(`${name}: deleted\n`);
        return;
      }
      if (e instanceof ApiError && e.status === 404 && o.replica && seen.has(o.replica)) {
        cliIo().stderr.write(`${name}: replica ${o.replica} is gone\n`);
        return;
      }
      throw e;
    }
    await new Promise((r) => setTimeout(r, Math.max(100, o.interval)));
  }
}

const client = () => new ApiClient(clientConfig());

export function logsCommand(): Command {
  return new Command('logs')
    .argument('<name>')
    .description("show the last lines of the replicas' logs, each prefixed with its replica; -f follows them")
    .option('--tail <n>', 'lines (1-10000)', intArg('tail'), 10)
    .option('--since <duration>', 'only lines from this long ago on, e.g. 10m (lines an engine did not date: see docs/cli.md)')
    .option('--replica <id>', "only this replica's log")
    .option('-f, --follow', 'keep printing new lines until the deployment is deleted (Ctrl-C to stop)')
    .option('--interval <duration>', 'with -f: how often to look for new lines', durationMs('interval'), 1000)
    .action(async (name: string, o: LogsOptions) => {
      if (o.since) durationMs('since')(o.since);
      if (o.follow) return follow(name, o);
      const { lines } = await client().call<{ lines: string[] }>('GET', logsPath(name, o));
      print(lines);
    });
}
