import { createHash } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetFiles, FileSource, ProgressListener } from '../contracts/dataset.js';
import { UserError } from '../contracts/errors.js';
import { readTar } from './archives.js';
import { download, DownloadError } from './download.js';
import { cachedImageSplit } from './image-store.js';
import { decodeImage, resizeImages } from './images.js';
import { parquetInfo, readParquet } from './parquet.js';
import { openZip, readZip } from './zip.js';
import { makeDir } from '../user-files.js';

/** A dataset file that is neither present nor downloadable. */
export class DatasetFileError extends UserError {
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
      makeDir(dir, 'dataset folder (in PARETUNE_DATA_DIR)');
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
    parquetInfo,
    readParquet,
    decodeImage,
    resizeImages,
    cachedImages(key, { count, size }, build) {
      return cachedImageSplit(
        join(dir, 'cache', createHash('sha256').update(key).digest('hex').slice(0, 32)),
        count,
        size,
        build,
      );
    },
  };
}
