import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProgressListener } from '../contracts/dataset.js';
import { CheckpointError } from './safetensors.js';

export interface HubOptions {
  /** Cache root; files land in `<cacheDir>/hf/<repo>/<revision>/`. */
  readonly cacheDir: string;
  /** Hub address (default `HF_ENDPOINT` or https://huggingface.co). */
  readonly endpoint?: string;
  /** Access token for gated repositories (default `HF_TOKEN`). */
  readonly token?: string;
  readonly onProgress?: ProgressListener;
}

/** `owner/name[@revision]` from an `hf:` source. */
export function parseHubSource(source: string): { repo: string; revision: string } {
  const match = /^hf:([\w.-]+(?:\/[\w.-]+)?)(?:@([\w./-]+))?$/.exec(source);
  if (match === null) throw new CheckpointError(`'${source}' is not a Hugging Face source: expected hf:<owner>/<repo>[@revision]`);
  return { repo: match[1] as string, revision: match[2] ?? 'main' };
}

/**
 * Downloads one file into `dir` unless it is already there. Writes `<file>.part` first and resumes it with
 * an HTTP range request, so an interrupted download continues where it stopped.
 * @returns false when the file does not exist on the hub (HTTP 404) and `optional` is set.
 */
async function fetchFile(url: string, dir: string, file: string, options: HubOptions, optional: boolean): Promise<boolean> {
  const target = join(dir, file);
  if (existsSync(target)) return true;
  const part = `${target}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const headers: Record<string, string> = {};
  if (have > 0) headers['Range'] = `bytes=${have}-`;
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CheckpointError(`cannot download ${url}: ${cause}. Without network access, put ${file} in ${dir} or give a local checkpoint path`);
  }
  if (response.status === 404 && optional) return false;
  if (response.status === 416 && have > 0) {
    renameSync(part, target); // the part file already holds the whole file
    return true;
  }
  if (!response.ok || response.body === null) {
    const hint = response.status === 401 || response.status === 403 ? ' (gated or private repository: set HF_TOKEN)' : response.status === 404 ? ' (no such repository, revision or file)' : '';
    throw new CheckpointError(`cannot download ${url}: HTTP ${response.status}${hint}`);
  }
  const resumed = response.status === 206;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
  let done = resumed ? have : 0;
  const task = `download ${file}`;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    done += chunk.length;
    options.onProgress?.({ task, done, total });
  });
  await pipeline(body, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
  if (total !== undefined && done !== total) throw new CheckpointError(`download of ${url} ended after ${done} of ${total} bytes; run again to resume`);
  renameSync(part, target);
  return true;
}

/**
 * Fetches `model.safetensors` (and `config.json` when the repository has one) of a Hugging Face model
 * repository into the cache and returns the local checkpoint path. Cached files are reused without a request.
 */
export async function downloadFromHub(source: string, options: HubOptions): Promise<string> {
  const { repo, revision } = parseHubSource(source);
  const dir = join(options.cacheDir, 'hf', repo, revision);
  const checkpoint = join(dir, 'model.safetensors');
  if (existsSync(checkpoint)) return checkpoint;
  mkdirSync(dir, { recursive: true });
  const endpoint = (options.endpoint ?? process.env['HF_ENDPOINT'] ?? 'https://huggingface.co').replace(/\/$/, '');
  const opts = { ...options, token: options.token ?? process.env['HF_TOKEN'] };
  const url = (file: string): string => `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  await fetchFile(url('config.json'), dir, 'config.json', opts, true);
  await fetchFile(url('model.safetensors'), dir, 'model.safetensors', opts, false);
  return checkpoint;
}
