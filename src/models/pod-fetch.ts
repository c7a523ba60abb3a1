/**
 * What a replica pod runs before its engine (an init container): fetches the deployment's model file from
 * its URL into the pod's model volume, resuming and checking the sha256 the model store recorded. A file
 * already there with the right hash (a container restart) is kept.
 *
 *   node dist/models/pod-fetch.js --url URL --out /models/FILE [--sha256 HEX] [--auth hf --token-secret NAME/KEY]
 *
 * With `--auth hf` the request carries `Authorization: Bearer $HF_TOKEN` when the pod has that variable
 * (from the zone's hfTokenSecret, named by --token-secret for the error message).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../core/clock.js';
import { downloadFile } from './download.js';
import { httpOpener } from './fetch.js';
import { POD_MODEL_DIR, type PodModel } from '../domain/pod-model.js';

export { POD_MODEL_DIR, type PodModel };

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Downloads `url` to `out` unless a file with the expected hash is there; returns what happened. */
export async function fetchForPod(o: { url: string; out: string; sha256?: string; headers?: Record<string, string>; log: (line: string) => void; signal?: AbortSignal }): Promise<'kept' | 'fetched'> {
  mkdirSync(dirname(o.out), { recursive: true });
  if (existsSync(o.out) && (!o.sha256 || (await sha256Of(o.out)) === o.sha256)) {
    o.log(`model file ${o.out} is already there${o.sha256 ? ' with the expected sha256' : ''}`);
    return 'kept';
  }
  let last = 0;
  const r = await downloadFile({
    dest: o.out, open: httpOpener(o.url, o.headers), clock: systemClock, signal: o.signal ?? new AbortController().signal, expectedSha256: o.sha256,
    onProgress: (done, total) => {
      if (done - last < 256 << 20 && done !== total) return;
      last = done;
      o.log(`fetched ${(done / 2 ** 20).toFixed(0)} MiB${total ? ` of ${(total / 2 ** 20).toFixed(0)} MiB` : ''}`);
    },
  });
  o.log(`model file ${o.out}: ${r.size} bytes, sha256 ${r.sha256}`);
  return 'fetched';
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  const { values } = parseArgs({ options: { url: { type: 'string' }, out: { type: 'string' }, sha256: { type: 'string' }, auth: { type: 'string' }, 'token-secret': { type: 'string' } } });
  if (!values.url || !values.out || (values.auth !== undefined && values.auth !== 'hf')) {
    console.error('usage: pod-fetch --url URL --out PATH [--sha256 HEX] [--auth hf --token-secret NAME/KEY]');
    process.exit(2);
  }
  const token = values.auth === 'hf' ? process.env.HF_TOKEN : undefined;
  if (values.auth === 'hf') console.log(token ? 'fetching with the Hugging Face token from $HF_TOKEN' : `no Hugging Face token (no Secret ${values['token-secret'] ?? 'hf-token/token'}): fetching without one`);
  fetchForPod({ url: values.url, out: values.out, sha256: values.sha256, headers: token ? { authorization: `Bearer ${token}` } : undefined, log: (l) => console.log(l) }).then(
    () => process.exit(0),
    (e: Error) => {
      const denied = values.auth === 'hf' && /HTTP 40[13]/.test(e.message);
      const [secret, key] = (values['token-secret'] ?? 'hf-token/token').split('/');
      const hint = denied ? `; a gated model needs a Hugging Face token in the pod: kubectl create secret generic ${secret} --from-literal=${key}=hf_... in the zone's namespace (the zone's hfTokenSecret), then delete this pod` : '';
      console.error(`cannot fetch the model from ${values.url}: ${e.message}${hint}`);
      process.exit(1);
    },
  );
}
