import type { DatasetSplit, ImageBatch } from '../contracts/dataset.js';
import type { Rng } from '../tensor/rng.js';
import { seededSample } from '../training/split.js';

/** A fixed seeded sample of `size` of the given indices ('all' keeps them all), in ascending order. */
export function sampleIndices(from: Int32Array, size: number | 'all', rng: Rng): Int32Array {
  return seededSample(from.length, size, rng).map((i) => from[i] as number);
}

/** Every index of a split. */
export const allIndices = (split: DatasetSplit): Int32Array => Int32Array.from({ length: split.size }, (_, i) => i);

/** Reads a fixed set of images once, in batches, so every evaluation point reuses them. */
export async function readImages(split: DatasetSplit, indices: Int32Array, batch = 512): Promise<ImageBatch> {
  const parts: ImageBatch[] = [];
  for (let start = 0; start < indices.length; start += batch)
    parts.push(await split.read(indices.subarray(start, start + batch)));
  const first = parts[0];
  if (first === undefined) throw new RangeError('an evaluation set is empty');
  const pixels = new Uint8Array(parts.reduce((n, p) => n + p.pixels.length, 0));
  const labels = new Int32Array(indices.length);
  let offset = 0;
  let count = 0;
  for (const p of parts) {
    pixels.set(p.pixels, offset);
    labels.set(p.labels, count);
    offset += p.pixels.length;
    count += p.count;
  }
  return { pixels, labels, count, height: first.height, width: first.width, channels: 3 };
}
