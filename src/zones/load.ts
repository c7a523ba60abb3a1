/** Reads a zones file (YAML or JSON). Loaded only when a zones file is given: the YAML parser comes with the Kubernetes client. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { loadAllYaml } from '@kubernetes/client-node';
import { InferscaleError } from '../core/errors.js';
import { validateZonesFile, type ZonesFile } from './config.js';

/** Parses the text of a zones file (JSON is YAML too); throws invalid_argument naming the field. */
export function parseZonesFile(text: string, source = 'zones file'): ZonesFile {
  let raw: unknown;
  try {
    raw = loadAllYaml(text)[0] ?? {};
  } catch (e) {
    throw new InferscaleError('invalid_argument', `${source}: not YAML or JSON (${(e as Error).message.split('\n')[0]})`, { field: 'zones' });
  }
  return validateZonesFile(raw, source);
}

export function readZonesFile(path: string): ZonesFile {
  const p = path.startsWith('~/') ? homedir() + path.slice(1) : path;
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    throw new InferscaleError(
      'invalid_argument',
      `zones file ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message}`,
      { field: 'zones' },
    );
  }
  return parseZonesFile(text, `zones file ${p}`);
}
