import { copyFileSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { STANFORD_DOGS_SYNSETS, stanfordDogs } from '../../src/plugins/datasets/stanford-dogs.js';
import { tempDir } from '../helpers/index.js';
import {
  BREEDS,
  dogArchives,
  dogImages,
  dogsDir,
  ENTRIES,
  listMat,
  officialLists,
  TEST,
  TRAIN,
} from '../helpers/stanford-dogs.js';
import type { Entry } from '../helpers/stanford-dogs.js';

const options = (dataDir: string, imageSize: number) => ({
  imageSize,
  dataDir,
  files: datasetFiles(dataDir, 'stanford-dogs'),
  rng: Rng.fromSeed(0),
});
const VICTIM = TRAIN[0] as Entry;

let imagesRoot: string;
beforeAll(async () => {
  imagesRoot = await dogImages();
});

const archives = (dataDir: string, lists: Record<string, Buffer>) => dogArchives(dataDir, lists, imagesRoot);

/** The flat colour decoded at pixel (0, 0) of each image of a split. */
async function colours(split: Awaited<ReturnType<typeof stanfordDogs.open>>, size: number): Promise<number[][]> {
  const batch = await split.read(Array.from({ length: split.size }, (_, i) => i));
  return Array.from({ length: split.size }, (_, i) => [
    ...batch.pixels.subarray(i * size * size * 3, i * size * size * 3 + 3),
  ]);
}

function expectColours(actual: number[][], entries: readonly Entry[]): void {
  expect(actual).toHaveLength(entries.length);
  actual.forEach((rgb, i) =>
    rgb.forEach((v, c) => expect(Math.abs(v - ((entries[i] as Entry).colour[c] as number))).toBeLessThanOrEqual(6)),
  );
}

describe('stanford-dogs', () => {
  it('describes the 120 official breeds in sorted synset order', () => {
    const description = stanfordDogs.describe({});
    expect(description).toMatchObject({ numClasses: 120, splits: ['train', 'test'] });
    expect(STANFORD_DOGS_SYNSETS).toHaveLength(120);
    expect(new Set(STANFORD_DOGS_SYNSETS).size).toBe(120);
    expect([...STANFORD_DOGS_SYNSETS].sort()).toEqual(STANFORD_DOGS_SYNSETS);
    expect(STANFORD_DOGS_SYNSETS[0]).toBe('n02085620-Chihuahua');
    expect(STANFORD_DOGS_SYNSETS[119]).toBe('n02116738-African_hunting_dog');
    expect(description.classNames.slice(0, 5)).toEqual([
      'Chihuahua',
      'Japanese spaniel',
      'Maltese dog',
      'Pekinese',
      'Shih-Tzu',
    ]);
    expect([description.classNames[11], description.classNames[102], description.classNames[119]]).toEqual([
      'beagle',
      'pug',
      'African hunting dog',
    ]);
  });

  it.each([
    { compress: true, chars: 'uint16', doubles: 'double' },
    { compress: false, chars: 'utf8', doubles: 'uint8' },
  ] as const)('reads the official split from images.tar and lists.tar written with %o', async (format) => {
    const data = tempDir();
    await archives(data, officialLists(format));
    const train = await stanfordDogs.open('train', {}, options(data, 8));
    const test = await stanfordDogs.open('test', {}, options(data, 8));
    expect([train.size, test.size]).toEqual([6, 5]);
    expect([...train.labels]).toEqual([0, 0, 11, 11, 102, 102]);
    expect([...test.labels]).toEqual([102, 102, 11, 0, 0]);
    // Each file has its own colour, so the pixels show which file landed where: split membership and list order.
    expectColours(await colours(train, 8), TRAIN);
    expectColours(await colours(test, 8), TEST);
    const big = await stanfordDogs.open('test', {}, options(data, 16));
    expect((await big.read([0])).pixels.length).toBe(16 * 16 * 3);
    expectColours(await colours(big, 16), TEST);
    const files = datasetFiles(data, 'stanford-dogs');
    expect(stanfordDogs.availability?.({}, files)).toEqual({
      present: true,
      bytes: statSync(join(files.dir, 'images.tar')).size + statSync(join(files.dir, 'lists.tar')).size,
      detail: files.dir,
    });
  });

  it('serves a second open from the cache, decoding nothing', async () => {
    const data = tempDir();
    const { images } = await archives(data, officialLists({ compress: true }));
    const first = await colours(await stanfordDogs.open('train', {}, options(data, 8)), 8);
    expect(readdirSync(join(dogsDir(data), 'cache')).length).toBe(2);
    // Rewrite images.tar with one training JPEG replaced by same-length garbage: same archive path, size and mtime.
    const corrupt = tempDir();
    mkdirSync(join(corrupt, 'Images'));
    for (const breed of BREEDS) mkdirSync(join(corrupt, 'Images', breed.synset));
    for (const e of ENTRIES) copyFileSync(join(imagesRoot, 'Images', e.path), join(corrupt, 'Images', e.path));
    writeFileSync(
      join(corrupt, 'Images', VICTIM.path),
      Buffer.alloc(statSync(join(imagesRoot, 'Images', VICTIM.path)).size, 7),
    );
    const size = statSync(images).size;
    await tar.c({ file: images, cwd: corrupt, portable: true }, ['Images']);
    utimesSync(images, 1_700_000_000, 1_700_000_000);
    expect(statSync(images).size).toBe(size);
    expect(await colours(await stanfordDogs.open('train', {}, options(data, 8)), 8)).toEqual(first);
    // Without the cache the same archive must be decoded, and the garbage image is reported by name.
    const fresh = tempDir();
    mkdirSync(dogsDir(fresh), { recursive: true });
    for (const name of ['images.tar', 'lists.tar']) copyFileSync(join(dogsDir(data), name), join(dogsDir(fresh), name));
    await expect(stanfordDogs.open('train', {}, options(fresh, 8))).rejects.toThrow(
      `${join(dogsDir(fresh), 'images.tar')}:Images/${VICTIM.path}: not a decodable image`,
    );
  });

  it('names the file of a missing split list, a truncated list, a label that disagrees with its folder and a missing image', async () => {
    const data = tempDir();
    const { lists } = await archives(data, { 'file_list.mat': listMat(ENTRIES), 'train_list.mat': listMat(TRAIN) });
    await expect(stanfordDogs.open('test', {}, options(data, 8))).rejects.toThrow(
      `${lists}: no test_list.mat inside; the archive is incomplete`,
    );
    await expect(stanfordDogs.open('val', {}, options(data, 8))).rejects.toThrow(
      "stanford-dogs has no split 'val' (splits: train, test)",
    );

    const truncated = listMat(TRAIN, { compress: true });
    await archives(data, {
      'train_list.mat': truncated.subarray(0, truncated.length - 9),
      'test_list.mat': listMat(TEST),
    });
    await expect(stanfordDogs.open('train', {}, options(data, 8))).rejects.toThrow(
      new RegExp(
        `^train_list\\.mat in ${lists.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated MAT file: .* at byte \\d+$`,
      ),
    );

    const mislabelled = TEST.map((e, i) => (i === 2 ? { ...e, label: 1 } : e));
    await archives(data, { 'train_list.mat': listMat(TRAIN), 'test_list.mat': listMat(mislabelled) });
    await expect(stanfordDogs.open('test', {}, options(data, 8))).rejects.toThrow(
      `test_list.mat in ${lists}: ${(TEST[2] as Entry).path} has label 1 (n02085620-Chihuahua), which disagrees with its folder`,
    );

    const ghost: Entry = { path: 'n02110958-pug/n02110958_9999.jpg', label: 103, split: 'train', colour: [0, 0, 0] };
    const { images } = await archives(data, {
      'train_list.mat': listMat([...TRAIN, ghost]),
      'test_list.mat': listMat(TEST),
    });
    await expect(stanfordDogs.open('train', {}, options(data, 8))).rejects.toThrow(
      `${images}: 1 listed image(s) are not in the archive: Images/n02110958-pug/n02110958_9999.jpg`,
    );
  });

  it('reports the archives as absent until both are in the dataset folder', () => {
    const data = tempDir();
    const files = datasetFiles(data, 'stanford-dogs');
    expect(stanfordDogs.availability?.({}, files)).toEqual({
      present: false,
      detail: `not downloaded yet (images.tar, lists.tar from http://vision.stanford.edu/aditya86/ImageNetDogs/ into ${files.dir})`,
    });
    mkdirSync(files.dir, { recursive: true });
    writeFileSync(join(files.dir, 'lists.tar'), '');
    expect(stanfordDogs.availability?.({}, files)?.detail).toMatch(/^not downloaded yet \(images\.tar from /);
  });
});
