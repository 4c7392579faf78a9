import { homedir } from 'node:os';
import { basename, join } from 'node:path';

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

/** An absolute path inside a text (POSIX or Windows), up to a space, quote, comma or closing parenthesis. */
const ABSOLUTE_PATH = /(?<=^|[\s'"(=])(?:\/|[A-Za-z]:\\)[^\s'",)]*/g;

/**
 * A value without the machine's layout, as an API caller without the token or a published leaderboard sees it:
 * every absolute path in its strings replaced by its last part (a dataset folder, a checkpoint file).
 */
export function withoutServerPaths<T>(value: T): T {
  if (typeof value === 'string') return value.replace(ABSOLUTE_PATH, (path) => basename(path) || path) as T;
  if (Array.isArray(value)) return value.map(withoutServerPaths) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutServerPaths(v)])) as T;
  }
  return value;
}
