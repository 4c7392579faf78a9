import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CachedImages, DatasetFiles, FileSource, ProgressListener } from '../contracts/dataset.js';
import { readTar } from './archives.js';
import { download, DownloadError } from './download.js';
import { decodeImage, resizeImages } from './images.js';
import { openZip, readZip } from './zip.js';

/** A dataset file that is neither present nor downloadable. */
export class DatasetFileError extends Error {
  override readonly name = 'DatasetFileError';
}

/**
 * The file and image services of one dataset, with its files under `<dataDir>/datasets/<name>/`.
 * A file is taken from the first of: a listed local copy, the dataset folder, a download from its URLs.
 */
export function datasetFiles(dataDir: string, dataset: string, onProgress?: ProgressListener): DatasetFiles {
  const dir = join(dataDir, 'datasets', dataset);
  return {
    dir,
    async fetch(source: FileSource): Promise<string> {
      const local = source.localPaths?.find((p) => existsSync(p));
      if (local !== undefined) return local;
      const target = join(dir, source.name);
      if (existsSync(target)) return target;
      mkdirSync(dir, { recursive: true });
      const failures: string[] = [];
      for (const url of source.urls) {
        try {
          if (url.startsWith('file://')) copyFileSync(new URL(url), target);
          else await download(url, target, { md5: source.md5, sha256: source.sha256, onProgress });
          return target;
        } catch (error) {
          if (!(error instanceof DownloadError) && !(error as { code?: string }).code) throw error;
          failures.push((error as Error).message);
        }
      }
      const where = [target, ...(source.localPaths ?? [])].join(' or ');
      throw new DatasetFileError(
        `dataset '${dataset}' needs ${source.name}, which is not present and could not be downloaded (${failures.join('; ') || 'no download address'}). ` +
          `Put the file at ${where}${source.hint === undefined ? '' : `; ${source.hint}`}`,
      );
    },
    readTar,
    readZip,
    openZip,
    decodeImage,
    resizeImages,
    async cachedImages(key: string, build: () => Promise<CachedImages>): Promise<CachedImages> {
      const base = join(dir, 'cache', createHash('sha256').update(key).digest('hex').slice(0, 32));
      if (existsSync(`${base}.labels`) && existsSync(`${base}.pixels`)) {
        const labels = readFileSync(`${base}.labels`);
        return { pixels: new Uint8Array(readFileSync(`${base}.pixels`)), labels: new Int32Array(labels.buffer, labels.byteOffset, labels.byteLength / 4) };
      }
      const images = await build();
      mkdirSync(join(dir, 'cache'), { recursive: true });
      // Written under temporary names and renamed, so a killed process never leaves a half-written cache entry.
      writeFileSync(`${base}.pixels.part`, images.pixels);
      writeFileSync(`${base}.labels.part`, new Uint8Array(images.labels.buffer, images.labels.byteOffset, images.labels.byteLength));
      renameSync(`${base}.pixels.part`, `${base}.pixels`);
      renameSync(`${base}.labels.part`, `${base}.labels`);
      return images;
    },
  };
}
