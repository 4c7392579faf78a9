import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressListener } from '../contracts/dataset.js';
import { download, DownloadError } from '../data/download.js';
import type { DownloadOptions } from '../data/download.js';
import { CheckpointError } from './safetensors.js';
import { makeDir } from '../user-files.js';

export interface HubOptions {
  /** Cache root; files land in `<cacheDir>/hf/<repo>/<revision>/`. */
  readonly cacheDir: string;
  /** Hub address (default `HF_ENDPOINT` or https://huggingface.co). */
  readonly endpoint?: string;
  /** Access token for gated repositories (default `HF_TOKEN`). */
  readonly token?: string;
  readonly onProgress?: ProgressListener | undefined;
}

/** `owner/name[@revision]` from an `hf:` source. */
export function parseHubSource(source: string): { repo: string; revision: string } {
  const match = /^hf:([\w.-]+(?:\/[\w.-]+)?)(?:@([\w./-]+))?$/.exec(source);
  if (match === null)
    throw new CheckpointError(`'${source}' is not a Hugging Face source: expected hf:<owner>/<repo>[@revision]`);
  return { repo: match[1] as string, revision: match[2] ?? 'main' };
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
  makeDir(dir, 'checkpoint cache folder (in PARETUNE_CACHE_DIR)');
  const endpoint = (options.endpoint ?? process.env['HF_ENDPOINT'] ?? 'https://huggingface.co').replace(/\/$/, '');
  const token = options.token ?? process.env['HF_TOKEN'];
  const url = (file: string): string => `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  const common: DownloadOptions = {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    onProgress: options.onProgress,
    offlineHint: `Without network access, put model.safetensors (and config.json) in ${dir} or give a local checkpoint path`,
  };
  try {
    await download(url('config.json'), join(dir, 'config.json'), { ...common, optional: true });
    await download(url('model.safetensors'), checkpoint, common);
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    const hint = /HTTP 40[13]/.test(error.message)
      ? '; set HF_TOKEN for gated or private repositories'
      : /HTTP 404/.test(error.message)
        ? '; check the repository and revision'
        : '';
    throw new CheckpointError(`${error.message}${hint}`);
  }
  return checkpoint;
}
