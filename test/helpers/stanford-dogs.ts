import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tar from 'tar';
import { writeMat } from './mat-writer.js';
import type { MatWriteOptions } from './mat-writer.js';
import { tempDir } from './temp.js';

/** The stanford-dogs folder of a data directory. */
export const dogsDir = (dataDir: string): string => join(dataDir, 'datasets', 'stanford-dogs');

/** One image of the fixture: its path under Images/, 1-based .mat label, split and flat colour (unique to the file). */
export interface Entry {
  readonly path: string;
  readonly label: number;
  readonly split: 'train' | 'test';
  readonly colour: readonly [number, number, number];
}

/** Three breeds with their real synsets and labels (1, 12, 103 of 120); 2 train images each, 2 / 1 / 2 test images. */
export const BREEDS = [
  { synset: 'n02085620-Chihuahua', label: 1, red: 220, test: 2 },
  { synset: 'n02088364-beagle', label: 12, red: 130, test: 1 },
  { synset: 'n02110958-pug', label: 103, red: 40, test: 2 },
];
export const ENTRIES: Entry[] = BREEDS.flatMap(({ synset, label, red, test }) =>
  Array.from({ length: 2 + test }, (_, k) => {
    const wnid = synset.slice(0, synset.indexOf('-'));
    return {
      path: `${synset}/${wnid}_${1000 + 37 * k}.jpg`,
      label,
      split: k < 2 ? 'train' : 'test',
      colour: [red, 40 + 50 * k, 200 - 40 * k],
    } as const;
  }),
);
export const TRAIN = ENTRIES.filter((e) => e.split === 'train');
/** The test list in another order than the archive's, to show the loader keeps the list's order. */
export const TEST = ENTRIES.filter((e) => e.split === 'test').reverse();

/** A list .mat as in lists.tar: file_list, annotation_list (no .jpg) and labels, N x 1 each. */
export const listMat = (entries: readonly Entry[], format: MatWriteOptions = {}): Buffer =>
  writeMat(
    {
      file_list: entries.map((e) => e.path),
      annotation_list: entries.map((e) => e.path.replace(/\.jpg$/, '')),
      labels: entries.map((e) => e.label),
    },
    format,
  );

/** Images/<synset>/<wnid>_<n>.jpg under a fresh folder (returned): flat colours, each image of its own size. */
export async function dogImages(): Promise<string> {
  const root = tempDir();
  for (const [i, e] of ENTRIES.entries()) {
    mkdirSync(join(root, 'Images', e.path, '..'), { recursive: true });
    const [r, g, b] = e.colour;
    await sharp({ create: { width: 20 + 3 * i, height: 15 + i, channels: 3, background: { r, g, b } } })
      .jpeg({ quality: 95 })
      .toFile(join(root, 'Images', e.path));
  }
  return root;
}

/** Packs `imagesFrom`/Images into images.tar and `lists` into lists.tar (plain tars, as published) in `dogsDir(dataDir)`. */
export async function dogArchives(
  dataDir: string,
  lists: Record<string, Buffer>,
  imagesFrom: string,
): Promise<{ images: string; lists: string }> {
  const dir = dogsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  await tar.c({ file: join(dir, 'images.tar'), cwd: imagesFrom, portable: true }, ['Images']);
  const staging = tempDir();
  for (const [name, bytes] of Object.entries(lists)) writeFileSync(join(staging, name), bytes);
  await tar.c({ file: join(dir, 'lists.tar'), cwd: staging, portable: true }, Object.keys(lists));
  for (const name of ['images.tar', 'lists.tar']) utimesSync(join(dir, name), 1_700_000_000, 1_700_000_000);
  return { images: join(dir, 'images.tar'), lists: join(dir, 'lists.tar') };
}

/** The three list files of the real lists.tar, written in `format`. */
export const officialLists = (format: MatWriteOptions = {}): Record<string, Buffer> => ({
  'file_list.mat': listMat(ENTRIES, format),
  'train_list.mat': listMat(TRAIN, format),
  'test_list.mat': listMat(TEST, format),
});
