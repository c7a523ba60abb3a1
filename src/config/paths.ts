import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The data dir: `--data-dir`, else `INFERSCALE_DATA_DIR`, else `~/.inferscale`. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.INFERSCALE_DATA_DIR) return resolve(env.INFERSCALE_DATA_DIR);
  return join(homedir(), '.inferscale');
}

export const dataFiles = (dataDir: string) => ({
  db: join(dataDir, 'inferscale.db'),
  adminToken: join(dataDir, 'admin-token'),
  secretKey: join(dataDir, 'secret.key'),
  logs: join(dataDir, 'logs'),
  serverInfo: join(dataDir, 'server.json'),
});
