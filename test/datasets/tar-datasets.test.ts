import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { caltech256 } from '../../src/plugins/datasets/caltech256.js';
import { CUB200_CLASSES } from '../../src/plugins/datasets/cub200-classes.js';
import { cub200 } from '../../src/plugins/datasets/cub200.js';
import { packTar, tempDir } from '../helpers/index.js';
import { caltech256Archive, cub200Archive } from '../helpers/tar-datasets.js';

const options = (dataDir: string, dataset: string, imageSize: number) => ({
  imageSize,
  dataDir,
  files: datasetFiles(dataDir, dataset),
  rng: Rng.fromSeed(0),
});

describe('cub200', () => {
  it('reads the official split, labels and class list from the archive layout', async () => {
    const data = tempDir();
    await cub200Archive(data, [
      { id: 1, cls: 1, train: 1 },
      { id: 2, cls: 1, train: 0 },
      { id: 3, cls: 2, train: 1, grayscale: true },
      { id: 4, cls: 200, train: 0 },
      { id: 5, cls: 200, train: 1 },
    ]);
    const train = await cub200.open('train', {}, options(data, 'cub200', 8));
    const test = await cub200.open('test', {}, options(data, 'cub200', 8));
    expect([...train.labels]).toEqual([0, 1, 199]);
    expect([...test.labels]).toEqual([0, 199]);
    const first = await train.read([0, 1]);
    expect(Math.abs((first.pixels[0] as number) - 40)).toBeLessThan(4); // image 1's red channel
    expect(first.pixels[8 * 8 * 3]).toBe(first.pixels[8 * 8 * 3 + 1]); // a grayscale JPEG becomes gray RGB
    expect(cub200.describe({}).classNames[199]).toBe('200.Common_Yellowthroat');
  });

  it('names a missing list file', async () => {
    const data = tempDir();
    await packTar(
      join(data, 'datasets', 'cub200', 'CUB_200_2011.tgz'),
      { 'CUB_200_2011/images.txt': '1 a/b.jpg\n' },
      true,
    );
    await expect(cub200.open('train', {}, options(data, 'cub200', 8))).rejects.toThrow(
      'missing image_class_labels.txt, train_test_split.txt, classes.txt; the archive is incomplete',
    );
  });
});

describe('caltech256', () => {
  it('labels folders NNN.name as NNN-1, splits each class by the split seed, reads only JPEGs', async () => {
    const data = tempDir();
    await caltech256Archive(data, {
      '001.ak47': Array.from({ length: 10 }, (_, i) => 10 * (i + 1)),
      '257.clutter': new Array<number>(10).fill(200),
    });
    const config = caltech256.configSchema.parse({ testFraction: 0.2 });
    const train = await caltech256.open('train', config, options(data, 'caltech256', 8));
    const test = await caltech256.open('test', config, options(data, 'caltech256', 8));
    expect([train.size, test.size]).toEqual([16, 4]);
    expect([...test.labels].sort()).toEqual([0, 0, 256, 256]);
    const again = await caltech256.open('test', config, options(tempDir(), 'caltech256', 8)).catch(() => undefined);
    expect(again).toBeUndefined(); // another data directory has no archive (and no network in tests)
    const reseeded = await caltech256.open('test', { ...config, splitSeed: 5 }, options(data, 'caltech256', 8));
    const reds = async (split: typeof test) =>
      [...(await split.read(Array.from({ length: split.size }, (_, i) => i))).pixels].filter(
        (_, i) => i % (8 * 8 * 3) === 0,
      );
    expect(await reds(reseeded)).not.toEqual(await reds(test));
    expect(caltech256.describe(config)).toMatchObject({ numClasses: 257 });
    expect(caltech256.describe(config).classNames.slice(0, 2)).toEqual(['ak47', 'american-flag']);
    expect(caltech256.describe({ ...config, clutter: false }).numClasses).toBe(256);
    const noClutter = await caltech256.open('train', { ...config, clutter: false }, options(data, 'caltech256', 8));
    expect(new Set(noClutter.labels)).toEqual(new Set([0]));
  });
});

describe('embedded class lists', () => {
  it('number every class folder in label order', async () => {
    const { CALTECH256_CLASSES } = await import('../../src/plugins/datasets/caltech256-classes.js');
    for (const [list, size] of [
      [CALTECH256_CLASSES, 257],
      [CUB200_CLASSES, 200],
    ] as const) {
      expect(list).toHaveLength(size);
      list.forEach((name, i) => expect(name.startsWith(`${String(i + 1).padStart(3, '0')}.`), name).toBe(true));
    }
  });
});
