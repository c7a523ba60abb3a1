/** The replica columns of sleeping replicas (src/controller/sleepers.ts): when each went to sleep, the host RAM it holds, its wake time. */
import type { ModuleMigrations } from '../store/db.js';

export const SLEEP_MIGRATIONS: ModuleMigrations = {
  module: 'sleep',
  scripts: [
    `ALTER TABLE replicas ADD COLUMN slept_at INTEGER;
     ALTER TABLE replicas ADD COLUMN sleep_ram_bytes INTEGER;
     ALTER TABLE replicas ADD COLUMN wake_ms INTEGER;`,
  ],
};
