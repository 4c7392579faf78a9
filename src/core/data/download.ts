import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { ProgressListener } from '../contracts/dataset.js';
import { UserError } from '../contracts/errors.js';
import { makeDir } from '../user-files.js';

/** A download failed: network, HTTP status, size or checksum. The message says what to do offline. */
export class DownloadError extends UserError {
  override readonly name = 'DownloadError';
}

export interface DownloadOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly md5?: string | undefined;
  readonly sha256?: string | undefined;
  readonly onProgress?: ProgressListener | undefined;
  /** Resolve false instead of failing when the server answers 404. */
  readonly optional?: boolean;
  /** Appended to network errors: how to get the file without network access. */
  readonly offlineHint?: string;
}

/** Hex digest of a file, streamed. */
export async function fileDigest(path: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Downloads `url` to `target` unless it exists. Writes `<target>.part` first and resumes it with an HTTP range
 * request, so an interrupted download continues where it stopped; verifies the checksum before renaming.
 * @returns false when the server answers 404 and `optional` is set.
 */
export async function download(url: string, target: string, options: DownloadOptions = {}): Promise<boolean> {
  if (existsSync(target)) return true;
  makeDir(dirname(target), 'download folder');
  const part = `${target}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const headers: Record<string, string> = { ...options.headers };
  if (have > 0) headers['Range'] = `bytes=${have}-`;
  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new DownloadError(
      `cannot download ${url}: ${cause}.${options.offlineHint === undefined ? '' : ` ${options.offlineHint}`}`,
    );
  }
  if (response.status === 404 && options.optional) return false;
  if (response.status === 416 && have > 0) {
    renameSync(part, target); // the part file already holds the whole file
    return true;
  }
  if (!response.ok || response.body === null) {
    const hint =
      response.status === 401 || response.status === 403
        ? ' (private or gated: credentials needed)'
        : response.status === 404
          ? ' (not found)'
          : '';
    throw new DownloadError(`cannot download ${url}: HTTP ${response.status}${hint}`);
  }
  const resumed = response.status === 206;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
  let done = resumed ? have : 0;
  const task = `download ${basename(target)}`;
  const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    done += chunk.length;
    options.onProgress?.({ task, done, total });
  });
  await pipeline(body, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
  if (total !== undefined && done !== total)
    throw new DownloadError(`download of ${url} ended after ${done} of ${total} bytes; run again to resume`);
  for (const algorithm of ['md5', 'sha256'] as const) {
    const expected = options[algorithm];
    if (expected === undefined) continue;
    const actual = await fileDigest(part, algorithm);
    if (actual !== expected.toLowerCase()) {
      unlinkSync(part);
      throw new DownloadError(
        `${url}: ${algorithm} ${actual} does not match the expected ${expected}; the partial file was removed, run again`,
      );
    }
  }
  renameSync(part, target);
  return true;
}
