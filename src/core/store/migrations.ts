/**
 * The database schema, one migration per version. `PRAGMA user_version` holds the applied version; migrations run
 * in order inside one write transaction taken before the version is read, so that processes opening a new file at
 * once migrate it once. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE experiments (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     spec TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     experiment_id TEXT REFERENCES experiments(id) ON DELETE CASCADE,
     spec TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'cancelled')),
     seed INTEGER NOT NULL,
     strategy TEXT NOT NULL,
     dataset TEXT NOT NULL,
     model TEXT,
     backend TEXT,
     plugins TEXT,
     paretune_version TEXT NOT NULL,
     host TEXT,
     pid INTEGER,
     created_at TEXT NOT NULL,
     finished_at TEXT,
     best_step INTEGER,
     last_step INTEGER,
     seconds REAL,
     error TEXT,
     result TEXT
   );
   CREATE INDEX runs_by_experiment ON runs (experiment_id);
   CREATE INDEX runs_by_dataset_strategy ON runs (dataset, strategy);
   CREATE TABLE metric_points (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     epoch INTEGER NOT NULL,
     name TEXT NOT NULL,
     context TEXT NOT NULL,
     value REAL,
     sample_count INTEGER NOT NULL,
     seconds REAL NOT NULL,
     PRIMARY KEY (run_id, step, name, context)
   );
   CREATE TABLE checkpoints (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     path TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (run_id, step)
   );`,
  // Claims: the open store that executes a running run, and when it last said it is alive (ms since the epoch).
  `ALTER TABLE runs ADD COLUMN owner TEXT;
   ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
