/** The `models` table (migration module "models", registered when this module is imported). */
import type { Db, ModuleMigrations } from '../store/db.js';
import type { RepoFile } from './hub.js';
import type { SourceKind } from './source.js';

export type ModelState = 'downloading' | 'ready' | 'error';

export interface ModelRow {
  name: string;
  /** what the user gave to --from */
  source: string;
  kind: SourceKind;
  /** absolute path or URL actually fetched */
  location: string;
  fileName: string;
  state: ModelState;
  stateDetails: string;
  bytesDone: number;
  bytesTotal: number | null;
  sha256: string | null;
  expectedSha256: string | null;
  /** Hugging Face token sealed with the server key, kept only until the download ends (for resume) */
  tokenSealed: string | null;
  /** repositories (kind hf without a file, dir): the commit sha the revision resolved to (hf) */
  revision: string | null;
  /** repositories: the files (JSON RepoFile[]), listed when the model is created */
  filesJson: string | null;
  /** hf repositories: the --include globs (JSON string[]), for pods that list the repository again */
  includeJson: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The model store's table (module "models" of src/store/schema.ts). */
export const MODEL_MIGRATIONS: ModuleMigrations = {
  module: 'models',
  scripts: [
    `
  CREATE TABLE models (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    location TEXT NOT NULL,
    file_name TEXT NOT NULL,
    state TEXT NOT NULL,
    state_details TEXT NOT NULL DEFAULT '',
    bytes_done INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER,
    sha256 TEXT,
    expected_sha256 TEXT,
    token_sealed TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
    `
  ALTER TABLE models ADD COLUMN revision TEXT;
  ALTER TABLE models ADD COLUMN files_json TEXT;
  ALTER TABLE models ADD COLUMN include_json TEXT;
  `,
  ],
};

const COLUMNS: Record<keyof ModelRow, string> = {
  name: 'name',
  source: 'source',
  kind: 'kind',
  location: 'location',
  fileName: 'file_name',
  state: 'state',
  stateDetails: 'state_details',
  bytesDone: 'bytes_done',
  bytesTotal: 'bytes_total',
  sha256: 'sha256',
  expectedSha256: 'expected_sha256',
  tokenSealed: 'token_sealed',
  revision: 'revision',
  filesJson: 'files_json',
  includeJson: 'include_json',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};
const KEYS = Object.keys(COLUMNS) as (keyof ModelRow)[];

const toRow = (r: Record<string, unknown>): ModelRow => Object.fromEntries(KEYS.map((k) => [k, r[COLUMNS[k]]])) as unknown as ModelRow;

export class ModelStore {
  constructor(private readonly db: Db) {}

  insert(m: ModelRow): void {
    this.db.prepare(`INSERT INTO models (${KEYS.map((k) => COLUMNS[k]).join(', ')}) VALUES (${KEYS.map((k) => `@${k}`).join(', ')})`).run(m);
  }

  get(name: string): ModelRow | undefined {
    const r = this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as Record<string, unknown> | undefined;
    return r ? toRow(r) : undefined;
  }

  list(): ModelRow[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY name').all() as Record<string, unknown>[]).map(toRow);
  }

  update(name: string, patch: Partial<Omit<ModelRow, 'name'>>): void {
    const keys = Object.keys(patch) as (keyof ModelRow)[];
    if (!keys.length) return;
    this.db.prepare(`UPDATE models SET ${keys.map((k) => `${COLUMNS[k]} = @${k}`).join(', ')} WHERE name = @name`).run({ ...patch, name });
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM models WHERE name = ?').run(name);
  }
}

/** A repository's files (null for a single-file model). */
export function repoFiles(m: Pick<ModelRow, 'filesJson'>): RepoFile[] | null {
  return m.filesJson === null ? null : (JSON.parse(m.filesJson) as RepoFile[]);
}
