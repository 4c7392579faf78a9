import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { findPreset } from './architecture.js';
import { inspectCheckpoint } from './checkpoint.js';
import { parseHubSource } from './hub.js';

/**
 * A backbone's stable id: a preset's name, `hf:<repo>@<revision>`, or `sha256:<hex>` of a checkpoint's weights file
 * (the same weights under another path have the same id). Runs are found and pooled by it; it holds no server path.
 */
export function modelId(source: string): string | undefined {
  const named = namedModelId(source);
  if (named !== undefined || !existsSync(source)) return named;
  return `sha256:${fileDigest(statSync(source).isDirectory() ? inspectCheckpoint(source).file : source)}`;
}

/** The id of a preset or `hf:` source, read from the source alone (a checkpoint path has none without its digest). */
export function namedModelId(source: string): string | undefined {
  if (findPreset(source) !== undefined) return source;
  if (!source.startsWith('hf:')) return undefined;
  const { repo, revision } = parseHubSource(source);
  return `hf:${repo}@${revision}`;
}

/** The SHA-256 of a file's content, read in chunks (checkpoints are hundreds of MB). */
export function fileDigest(file: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1 << 22);
  const fd = openSync(file, 'r');
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** How a model source is named where a server path must not show: a checkpoint by its file or folder name. */
export const modelSourceName = (source: string): string =>
  findPreset(source) !== undefined || source.startsWith('hf:') ? source : basename(source);
