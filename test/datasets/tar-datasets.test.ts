import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { caltech256 } from '../../src/plugins/datasets/caltech256.js';
import { CUB200_CLASSES } from '../../src/plugins/datasets/cub200-classes.js';
import { cub200 } from '../../src/plugins/datasets/cub200.js';
import { tempDir } from '../helpers/index.js';

const options = (dataDir: string, dataset: string, imageSize: number) => ({
  imageSize,
  dataDir,
  files: datasetFiles(dataDir, dataset),
  rng: Rng.fromSeed(0),
});

/** A small solid-colour JPEG whose red channel encodes `value`. */
const jpeg = (value: number, grayscale = false): Promise<Buffer> => {
  const image = sharp({ create: { width: 20, height: 14, channels: 3, background: { r: value, g: 80, b: 160 } } });
  return (grayscale ? image.grayscale() : image).jpeg({ quality: 95 }).toBuffer();
};

/** Writes `files` (path -> contents) under a fresh folder and packs them into `archive`. */
async function pack(archive: string, files: Record<string, Buffer | string>, gzip: boolean): Promise<void> {
  const root = tempDir();
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
  mkdirSync(join(archive, '..'), { recursive: true });
  await tar.c({ gzip, file: archive, cwd: root, portable: true }, Object.keys(files));
}

describe('cub200', () => {
  it('reads the official split, labels and class list from the archive layout', async () => {
    const data = tempDir();
    const images = [
      { id: 1, cls: 1, train: 1 },
      { id: 2, cls: 1, train: 0 },
      { id: 3, cls: 2, train: 1 },
      { id: 4, cls: 200, train: 0 },
      { id: 5, cls: 200, train: 1 },
    ];
    const files: Record<string, Buffer | string> = {
      'CUB_200_2011/classes.txt': CUB200_CLASSES.map((c, i) => `${i + 1} ${c}`).join('\n') + '\n',
      'CUB_200_2011/images.txt':
        images.map((m) => `${m.id} ${CUB200_CLASSES[m.cls - 1]}/bird_${m.id}.jpg`).join('\n') + '\n',
      'CUB_200_2011/image_class_labels.txt': images.map((m) => `${m.id} ${m.cls}`).join('\n') + '\n',
      'CUB_200_2011/train_test_split.txt': images.map((m) => `${m.id} ${m.train}`).join('\n') + '\n',
      'attributes.txt': 'stray file at the archive root, as in the real archive\n',
    };
    for (const m of images)
      files[`CUB_200_2011/images/${CUB200_CLASSES[m.cls - 1]}/bird_${m.id}.jpg`] = await jpeg(m.id * 40, m.id === 3);
    await pack(join(data, 'datasets', 'cub200', 'CUB_200_2011.tgz'), files, true);
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
    await pack(
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
    const files: Record<string, Buffer | string> = {
      '256_ObjectCategories/198.spider/RENAME2': 'stray non-image file',
    };
    for (let i = 1; i <= 10; i++)
      files[`256_ObjectCategories/001.ak47/001_${String(i).padStart(4, '0')}.jpg`] = await jpeg(10 * i);
    for (let i = 1; i <= 10; i++)
      files[`256_ObjectCategories/257.clutter/257_${String(i).padStart(4, '0')}.jpg`] = await jpeg(200);
    await pack(join(data, 'datasets', 'caltech256', '256_ObjectCategories.tar'), files, false);
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
