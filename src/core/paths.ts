import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where paretune caches downloads (checkpoints, dataset archives): `PARETUNE_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/paretune`, else `~/.cache/paretune`.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['PARETUNE_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'paretune');
}

/**
 * Where paretune keeps datasets and its database: `PARETUNE_DATA_DIR`, else `$XDG_DATA_HOME/paretune`, else
 * `~/.local/share/paretune`.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['PARETUNE_DATA_DIR'] ?? join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'paretune');
}

/** The database file: `PARETUNE_DB`, else `paretune.db` in the data directory. */
export function databaseFile(env: NodeJS.ProcessEnv = process.env): string {
  return env['PARETUNE_DB'] ?? join(dataDir(env), 'paretune.db');
}
