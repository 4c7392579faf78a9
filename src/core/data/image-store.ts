import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { DatasetSplit, ImageWriter } from '../contracts/dataset.js';
import { makeDir } from '../user-files.js';

/**
 * Decoded images on disk: `<base>.pixels` holds `count` images of size x size x 3 bytes back to back, and
 * `<base>.labels` their int32 labels. Reads are positioned, so a split can be far larger than memory.
 */
function diskSplit(base: string, labels: Int32Array, size: number): DatasetSplit {
  const bytes = size * size * 3;
  const count = labels.length;
  return {
    size: count,
    labels,
    async read(indices) {
      const pixels = new Uint8Array(indices.length * bytes);
      const batchLabels = new Int32Array(indices.length);
      const fd = openSync(`${base}.pixels`, 'r');
      try {
        for (let k = 0; k < indices.length; k++) {
          const i = indices[k] as number;
          if (!(i >= 0 && i < count)) throw new RangeError(`image index ${i} is outside the split (0..${count - 1})`);
          readSync(fd, pixels, k * bytes, bytes, i * bytes);
          batchLabels[k] = labels[i] as number;
        }
      } finally {
        closeSync(fd);
      }
      return { pixels, labels: batchLabels, count: indices.length, height: size, width: size, channels: 3 };
    },
  };
}

/** The cached split at `base`, or undefined when it is absent or does not have the expected size. */
function openCached(base: string, count: number, size: number): DatasetSplit | undefined {
  if (!existsSync(`${base}.labels`) || !existsSync(`${base}.pixels`)) return undefined;
  const raw = readFileSync(`${base}.labels`);
  const labels = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (labels.length !== count || statSync(`${base}.pixels`).size !== count * size * size * 3) return undefined;
  return diskSplit(base, labels, size);
}

/**
 * Returns the image cache at `base`, building it first when absent: `build` writes each image through the writer
 * into a preallocated file and returns the labels. Files are written under temporary names and renamed, so a killed
 * process never leaves a half-written cache entry.
 */
export async function cachedImageSplit(
  base: string,
  count: number,
  size: number,
  build: (write: ImageWriter) => Promise<Int32Array>,
): Promise<DatasetSplit> {
  const cached = openCached(base, count, size);
  if (cached !== undefined) return cached;
  makeDir(dirname(base), 'image cache folder (in PARETUNE_CACHE_DIR)');
  const bytes = size * size * 3;
  const fd = openSync(`${base}.pixels.part`, 'w');
  let labels: Int32Array;
  try {
    ftruncateSync(fd, count * bytes);
    labels = await build((index, pixels) => {
      if (!(index >= 0 && index < count))
        throw new RangeError(`image index ${index} is outside the cache (0..${count - 1})`);
      if (pixels.length !== bytes)
        throw new RangeError(`image ${index} has ${pixels.length} bytes, expected ${bytes} (${size}x${size} RGB)`);
      writeSync(fd, pixels, 0, bytes, index * bytes);
    });
  } finally {
    closeSync(fd);
  }
  if (labels.length !== count)
    throw new RangeError(`the cache was built with ${labels.length} labels for ${count} images`);
  writeFileSync(`${base}.labels.part`, new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
  renameSync(`${base}.pixels.part`, `${base}.pixels`);
  renameSync(`${base}.labels.part`, `${base}.labels`);
  return diskSplit(base, labels, size);
}
