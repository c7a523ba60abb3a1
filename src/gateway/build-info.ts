/** What this build is: version (package.json), Node version, git commit when known; `inferscale_build_info` shows it. */
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const BUILD_VERSION = packageVersion();

/** Labels of inferscale_build_info: the commit from INFERSCALE_COMMIT (set by the image build), else "unknown". */
export function buildInfoLabels(env: Record<string, string | undefined> = process.env): { version: string; node_version: string; commit: string } {
  return { version: BUILD_VERSION, node_version: process.version, commit: env.INFERSCALE_COMMIT?.trim() || 'unknown' };
}
