/**
 * Every table of the server's SQLite file: each module's migrations, in the order they are applied
 * (`openDb(path, SCHEMA)`). A module with tables exports its list and is named here; nothing registers
 * itself on import.
 */
import type { Migrations, ModuleMigrations } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { REQUEST_LOG_ID_MIGRATIONS, REQUEST_LOG_MIGRATIONS } from '../gateway/request-log.js';
import { HISTORY_MIGRATIONS } from '../history/store.js';
import { MODEL_MIGRATIONS } from '../models/model-store.js';
import { COST_MIGRATIONS } from '../cost/ledger.js';
import { COPY_MIGRATIONS } from '../cluster/copy.js';
import { CAPACITY_MIGRATIONS } from '../service/capacity-store.js';
import { SLEEP_MIGRATIONS } from '../controller/sleep-migrations.js';
import { PLACEMENT_MIGRATIONS } from '../placement/memory-column.js';

/** The core tables: deployments, replicas, events, quotas, settings (migrations.ts). */
export const CORE_MIGRATIONS: ModuleMigrations = { module: 'core', scripts: MIGRATIONS };

export const SCHEMA: Migrations = [
  CORE_MIGRATIONS,
  REQUEST_LOG_MIGRATIONS,
  REQUEST_LOG_ID_MIGRATIONS,
  HISTORY_MIGRATIONS,
  MODEL_MIGRATIONS,
  COST_MIGRATIONS,
  COPY_MIGRATIONS,
  CAPACITY_MIGRATIONS,
  SLEEP_MIGRATIONS,
  PLACEMENT_MIGRATIONS,
];
