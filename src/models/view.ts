import { repoFiles, type ModelRow } from './model-store.js';

/** What the API and the CLI show of a stored model (never its token). */
export interface ModelView {
  name: string;
  source: string;
  kind: ModelRow['kind'];
  state: ModelRow['state'];
  stateDetails: string;
  /** 0..1 while downloading with a known size, 1 when ready, else null */
  progress: number | null;
  progressText: string;
  bytesDone: number;
  sizeBytes: number | null;
  sha256: string | null;
  expectedSha256: string | null;
  /** the stored file, or a repository's directory (exists only once ready) */
  path: string;
  /** a repository: the commit its revision resolved to (hf), and its files; null for a single file */
  revision: string | null;
  files: { path: string; size: number; sha256: string | null }[] | null;
  usedBy: string[];
  createdAt: string;
  updatedAt: string;
}

export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function modelView(m: ModelRow, path: string, usedBy: string[]): ModelView {
  const progress = m.state === 'ready' ? 1 : m.bytesTotal ? Math.min(1, m.bytesDone / m.bytesTotal) : null;
  const progressText =
    m.state === 'ready' ? 'done' : progress !== null ? `${(progress * 100).toFixed(1)}% of ${formatBytes(m.bytesTotal)}` : `${formatBytes(m.bytesDone)} so far`;
  return {
    name: m.name,
    source: m.source,
    kind: m.kind,
    state: m.state,
    stateDetails: m.stateDetails,
    progress,
    progressText,
    bytesDone: m.bytesDone,
    sizeBytes: m.state === 'ready' ? m.bytesDone : m.bytesTotal,
    sha256: m.sha256,
    expectedSha256: m.expectedSha256,
    path,
    revision: m.revision,
    files: repoFiles(m)?.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 ?? null })) ?? null,
    usedBy,
    createdAt: new Date(m.createdAt).toISOString(),
    updatedAt: new Date(m.updatedAt).toISOString(),
  };
}
