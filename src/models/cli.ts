/** `inferscale model create|list|show|delete`: the model store from the command line. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ApiClient, ApiError, clientConfig } from '../cli/client.js';
import { keyValues, output, outputOption, table } from '../cli/format.js';
import { durationMs, showDuration } from '../cli/duration-arg.js';
import { cliIo } from '../cli/io.js';
import { ProgressWriter } from '../cli/progress.js';
import { formatBytes, type ModelView } from './view.js';
import { progressLine, type ProgressSample } from './progress-line.js';

const fmtOpt = () => outputOption();
const client = () => new ApiClient(clientConfig());

/** Paths are read by the server: make relative ones absolute here, against the CLI's directory. */
export function sourceArg(from: string, cwd = process.cwd()): string {
  if (/^(hf:|https?:\/\/|file:\/\/)/i.test(from)) return from;
  return resolve(cwd, from);
}

export function showModel(m: ModelView): string {
  return (
    keyValues([
      ['Name', m.name],
      ['State', m.state],
      ['Details', m.stateDetails],
      ['Progress', m.progressText],
      ['Size', m.sizeBytes === null ? null : `${formatBytes(m.sizeBytes)} (${m.sizeBytes} bytes)`],
      ['SHA256', m.sha256],
      ['Source', m.source],
      ['Revision', m.revision],
      ['Path', m.state === 'ready' ? m.path : null],
      ['Used By', m.usedBy.join(', ')],
      ['Created', m.createdAt],
      ['Updated', m.updatedAt],
    ]) +
    (m.files
      ? `\n\n${table(
          ['FILE', 'SIZE', 'SHA256'],
          m.files.map((f) => [f.path, formatBytes(f.size), f.sha256?.slice(0, 12) ?? '-']),
        )}`
      : '')
  );
}

/** What is about to be fetched, shown before it starts. */
export function announce(m: ModelView): string {
  const what = m.files ? `${m.files.length} file${m.files.length === 1 ? '' : 's'}${m.revision ? ` at revision ${m.revision}` : ''}` : 'one file';
  return `${m.name}: ${what}, ${m.sizeBytes === null ? 'size unknown' : formatBytes(m.sizeBytes)}`;
}

/** Polls until ready; progress is one rewritten line on a TTY (bytes, rate, ETA), a line every 5 s otherwise. */
async function waitReady(name: string, timeoutMs: number): Promise<ModelView> {
  const deadline = Date.now() + timeoutMs;
  const progress = new ProgressWriter({ plainEveryMs: 5_000 });
  let first: ProgressSample | undefined;
  for (;;) {
    const m = await client().call<ModelView>('GET', `/models/${encodeURIComponent(name)}`);
    const now = { at: Date.now(), done: m.bytesDone };
    first ??= now;
    if (m.state === 'downloading') progress.update(`${name}: ${progressLine(first, now, m.sizeBytes)}`);
    if (m.state === 'ready') {
      progress.done(`${name}: ready`);
      return m;
    }
    if (m.state === 'error') {
      progress.done();
      throw new ApiError(500, 'model_error', `model ${name} failed: ${m.stateDetails}`);
    }
    if (Date.now() > deadline) {
      progress.done();
      throw new ApiError(
        504,
        'timeout',
        `gave up waiting for ${name} after ${showDuration(timeoutMs)} (${m.progressText}); the download goes on in the server`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function modelCommand(): Command {
  const cmd = new Command('model').alias('models').description('the model store: fetch a model once, serve it from every replica');

  cmd
    .command('create <name>')
    .description('store a model from a file, an http(s) URL or the Hugging Face Hub (waits until stored unless --no-wait)')
    .requiredOption(
      '--from <source>',
      'PATH | DIR | URL | hf:ORG/REPO[@REVISION][/FILE] (hf:ORG/REPO or a directory: the whole repository; a path is read by the server machine)',
    )
    .option(
      '--include <glob>',
      'repositories: keep only the files a glob matches (repeatable), e.g. --include "*.json" --include "*.safetensors"',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--sha256 <hex>', 'expected checksum: a mismatch fails the download')
    .option('--hf-token <token>', 'Hugging Face token for gated or private models (default $HF_TOKEN)')
    .option('--no-wait', 'return at once; follow with "inferscale model show NAME"')
    .addOption(
      new Option('--wait-timeout <duration>', 'give up waiting after this long, e.g. 30m, 2h (a bare number: seconds)')
        .argParser(durationMs('wait-timeout'))
        .default(3_600_000, '1h'),
    )
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const hfToken = o.hfToken ?? cliIo().env.HF_TOKEN;
      let m = await client().call<ModelView>('POST', '/models', {
        name,
        from: sourceArg(o.from),
        sha256: o.sha256,
        hfToken: hfToken || undefined,
        include: o.include.length ? o.include : undefined,
      });
      cliIo().stderr.write(`${announce(m)}\n`);
      if (o.wait) m = await waitReady(name, o.waitTimeout);
      output(o.output, m, () => showModel(m));
    });

  cmd
    .command('list')
    .description('list stored models')
    .addOption(fmtOpt())
    .action(async (o) => {
      const { models } = await client().call<{ models: ModelView[] }>('GET', '/models');
      output(o.output, models, () =>
        table(
          ['NAME', 'STATE', 'PROGRESS', 'SIZE', 'SHA256', 'USED BY', 'SOURCE'],
          models.map((m) => [m.name, m.state, m.progressText, formatBytes(m.sizeBytes), m.sha256?.slice(0, 12), m.usedBy.join(',') || '-', m.source]),
        ),
      );
    });

  cmd
    .command('show <name>')
    .description('show a stored model: state, progress, size, checksum, deployments using it')
    .addOption(fmtOpt())
    .action(async (name: string, o) => {
      const m = await client().call<ModelView>('GET', `/models/${encodeURIComponent(name)}`);
      output(o.output, m, () => showModel(m));
    });

  cmd
    .command('delete <names...>')
    .description('delete stored models (refused while a deployment uses one)')
    .action(async (names: string[]) => {
      for (const name of names) {
        await client().call('DELETE', `/models/${encodeURIComponent(name)}`);
        cliIo().stdout.write(`${name}: deleted\n`);
      }
    });
  return cmd;
}
