import { checkSplitLabels } from '../core/contracts/dataset.js';
import type { DatasetDescription, DatasetPlugin, DatasetSplit, ImageBatch } from '../core/contracts/dataset.js';
import { datasetFiles } from '../core/data/files.js';
import { Rng } from '../core/tensor/rng.js';
import { FindingList, parsedConfig } from './findings.js';
import type { Finding } from './findings.js';

export interface DatasetCheckOptions {
  /** The dataset's config (validated against its schema first); default `{}`. */
  readonly config?: unknown;
  /** The data folder holding the dataset's files (under `datasets/<name>/`, as `--data-dir` does). */
  readonly dataDir: string;
  /** Image size the splits are opened at; default 8 (small, so the check is fast). */
  readonly imageSize?: number;
  /** Images read from each split (the first and last of them included); default 4. */
  readonly sample?: number;
  /** The seed of the random stream `open` receives; default 0. */
  readonly seed?: number;
}

/**
 * Checks a dataset against its contract with the files under `dataDir`. Rules: `definition`, `config`, `describe`
 * (numClasses a positive integer, one class name per class), `splits` (lists `train` and `test`, each opens and is
 * non-empty), `labels` (one per image, each in `[0, numClasses)`, and the images read carry the split's labels),
 * `shapes` (read batches are uint8 RGB of the requested size) and `deterministic` (opened twice with the same seed,
 * the same labels and pixels).
 */
export async function checkDataset(plugin: DatasetPlugin, options: DatasetCheckOptions): Promise<Finding[]> {
  const list = new FindingList(plugin);
  const parsed = await parsedConfig(plugin, options.config, list);
  if (parsed === undefined) return list.findings;
  const config = parsed.value;
  const description = await list.guard('describe', () => plugin.describe(config));
  if (description === undefined || !describedWell(description, list)) return list.findings;
  for (const required of ['train', 'test']) {
    if (!description.splits.includes(required))
      list.add('splits', `describe() lists splits [${description.splits.join(', ')}], without '${required}'`);
  }
  const imageSize = options.imageSize ?? 8;
  const open = (split: string): Promise<DatasetSplit | undefined> =>
    list.guard('splits', () =>
      plugin.open(split, config, {
        imageSize,
        dataDir: options.dataDir,
        files: datasetFiles(options.dataDir, plugin.meta.name),
        rng: Rng.fromSeed(options.seed ?? 0),
      }),
    );
  for (const split of description.splits) {
    const where = `split '${split}'`;
    const opened = await open(split);
    if (opened === undefined) continue;
    if (opened.size < 1) {
      list.add('splits', `${where} is empty`);
      continue;
    }
    const labelled = await list.guard('labels', () => checkSplitLabels(opened, description.numClasses, where));
    if (labelled === undefined) continue;
    const indices = sampleIndices(opened.size, options.sample ?? 4);
    const batch = await list.guard('shapes', () => opened.read(indices));
    if (batch === undefined || !shapedWell(batch, indices, imageSize, where, list)) continue;
    const wrong = indices.findIndex((index, k) => batch.labels[k] !== opened.labels[index]);
    if (wrong >= 0) {
      const index = indices[wrong] as number;
      list.add(
        'labels',
        `${where}: read() gives image ${index} label ${batch.labels[wrong]}, but the split's labels say ${opened.labels[index]}`,
      );
    }
    const again = await open(split);
    const batchAgain = await (again === undefined ? undefined : list.guard('deterministic', () => again.read(indices)));
    if (again !== undefined && batchAgain !== undefined) {
      const sameLabels =
        again.labels.length === opened.labels.length && again.labels.every((l, i) => l === opened.labels[i]);
      const samePixels =
        batchAgain.pixels.length === batch.pixels.length && batchAgain.pixels.every((p, i) => p === batch.pixels[i]);
      if (!sameLabels || !samePixels) {
        list.add(
          'deterministic',
          `${where} opened twice with the same seed gives different ${sameLabels ? 'pixels' : 'labels'}`,
        );
      }
    }
  }
  return list.findings;
}

function describedWell(description: DatasetDescription, list: FindingList): boolean {
  const { numClasses, classNames, splits } = description;
  if (!(Number.isInteger(numClasses) && numClasses >= 1))
    list.add('describe', `numClasses is ${numClasses}, not a positive integer`);
  else if (classNames.length !== numClasses)
    list.add('describe', `${classNames.length} class names for ${numClasses} classes`);
  if (splits.length === 0) list.add('splits', 'describe() lists no split');
  return list.findings.length === 0;
}

/** Up to `count` indices spread over the split, the first and the last included. */
function sampleIndices(size: number, count: number): number[] {
  const n = Math.min(size, Math.max(count, 2));
  return [...new Set(Array.from({ length: n }, (_, k) => Math.round((k * (size - 1)) / Math.max(n - 1, 1))))];
}

function shapedWell(
  batch: ImageBatch,
  indices: readonly number[],
  imageSize: number,
  where: string,
  list: FindingList,
): boolean {
  const expected = `${indices.length} images of ${imageSize}x${imageSize}x3`;
  const problems: string[] = [];
  if (!(batch.pixels instanceof Uint8Array)) problems.push('pixels are not a Uint8Array');
  if (batch.count !== indices.length) problems.push(`count ${batch.count}`);
  if (batch.height !== imageSize || batch.width !== imageSize || batch.channels !== 3) {
    problems.push(`images of ${batch.height}x${batch.width}x${batch.channels}`);
  }
  if (batch.pixels.length !== indices.length * imageSize * imageSize * 3)
    problems.push(`${batch.pixels.length} pixel values`);
  if (batch.labels.length !== indices.length) problems.push(`${batch.labels.length} labels`);
  if (problems.length > 0)
    list.add(
      'shapes',
      `${where}: read() of ${indices.length} images gave ${problems.join(', ')}; expected ${expected}`,
    );
  return problems.length === 0;
}
