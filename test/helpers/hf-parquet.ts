import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import sharp from 'sharp';
import { CUB200_CLASSES } from '../../src/plugins/datasets/cub200-classes.js';
import { DOMAINNET_CLASSES } from '../../src/plugins/datasets/domainnet-classes.js';
import { STANFORD_DOGS_SYNSETS } from '../../src/plugins/datasets/stanford-dogs.js';
import { solidJpeg } from './archives.js';

export interface HfTable {
  /** Name of the image struct column (`img`, `image`, `pixel_values`). */
  readonly image: string;
  readonly images: readonly Buffer[];
  /** INT64 columns, e.g. label. */
  readonly ints: Readonly<Record<string, readonly number[]>>;
  /** UTF8 string columns, e.g. Caltech's text. */
  readonly strings?: Readonly<Record<string, readonly string[]>>;
  /** ClassLabel names by column, stored in the `huggingface` key/value metadata. */
  readonly classLabels?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Writes a parquet file in the HF `datasets` layout: the image column as an optional struct {bytes: binary, path:
 * string}, INT64 label columns, UTF8 string columns and the `huggingface` metadata with the features' ClassLabel
 * names, in row groups of 3 rows.
 */
export function writeHf(path: string, table: HfTable): void {
  const ints = Object.entries(table.ints);
  const strings = Object.entries(table.strings ?? {});
  const features: Record<string, unknown> = { [table.image]: { _type: 'Image' } };
  for (const [name] of ints)
    features[name] = table.classLabels?.[name]
      ? { names: table.classLabels[name], _type: 'ClassLabel' }
      : { dtype: 'int64', _type: 'Value' };
  for (const [name] of strings) features[name] = { dtype: 'string', _type: 'Value' };
  mkdirSync(dirname(path), { recursive: true });
  parquetWriteFile({
    filename: path,
    schema: [
      { name: 'schema', num_children: 1 + ints.length + strings.length },
      { name: table.image, repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ...ints.map(([name]) => ({ name, type: 'INT64' as const, repetition_type: 'OPTIONAL' as const })),
      ...strings.map(([name]) => ({
        name,
        type: 'BYTE_ARRAY' as const,
        converted_type: 'UTF8' as const,
        repetition_type: 'OPTIONAL' as const,
      })),
    ],
    columnData: [
      { name: table.image, data: table.images.map((bytes, i) => ({ bytes: new Uint8Array(bytes), path: `${i}.img` })) },
      ...ints.map(([name, values]) => ({ name, data: values.map((v) => BigInt(v)) })),
      ...strings.map(([name, values]) => ({ name, data: [...values] })),
    ],
    rowGroupSize: 3,
    kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }],
  });
}

/** A 32x32 PNG whose pixel p, channel c is (7p + 3c + 29i) & 255: every layout bug shows up. */
export async function patternPng(i: number): Promise<{ png: Buffer; raw: Uint8Array }> {
  const raw = Uint8Array.from({ length: 32 * 32 * 3 }, (_, k) => (7 * Math.floor(k / 3) + 3 * (k % 3) + 29 * i) & 255);
  return {
    png: await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toBuffer(),
    raw,
  };
}

/** Where a dataset's HF copy lives in a data directory: `datasets/<dataset>/hf/<file>`. */
export const hfPath = (data: string, dataset: string, file: string): string =>
  join(data, 'datasets', dataset, 'hf', file);

export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** A split of uoft-cs/cifar10: `plain_text/<split>-00000-of-00001.parquet`, `img` and a ClassLabel `label`; its path. */
export function hfCifar10(
  data: string,
  split: 'train' | 'test',
  images: readonly Buffer[],
  labels: readonly number[],
  names: readonly string[] = CIFAR10_NAMES,
): string {
  const file = hfPath(data, 'cifar10', `plain_text/${split}-00000-of-00001.parquet`);
  writeHf(file, { image: 'img', images, ints: { label: labels }, classLabels: { label: names } });
  return file;
}

/** A split of uoft-cs/cifar100: `cifar100/<split>-00000-of-00001.parquet`, `img`, ClassLabels `fine_label`, `coarse_label`. */
export function hfCifar100(
  data: string,
  split: 'train' | 'test',
  images: readonly Buffer[],
  labels: { readonly fine: readonly number[]; readonly coarse: readonly number[] },
  names: { readonly fine: readonly string[]; readonly coarse: readonly string[] },
): void {
  writeHf(hfPath(data, 'cifar100', `cifar100/${split}-00000-of-00001.parquet`), {
    image: 'img',
    images,
    ints: { fine_label: labels.fine, coarse_label: labels.coarse },
    classLabels: { fine_label: names.fine, coarse_label: names.coarse },
  });
}

/** The files of ilee0022/Caltech-256: two train parts, validation and test. */
export const HF_CALTECH256_FILES = [
  'data/train-00000-of-00002.parquet',
  'data/train-00001-of-00002.parquet',
  'data/validation-00000-of-00001.parquet',
  'data/test-00000-of-00001.parquet',
];

/**
 * ilee0022/Caltech-256 from rows `[file index, integer label (the folder number, 1-based), text]`: an `image` column
 * whose row i (counted over all files) has red 20i + 10, and no ClassLabel names, as the real copy has.
 */
export async function hfCaltech256(data: string, rows: readonly (readonly [number, number, string])[]): Promise<void> {
  for (const [f, file] of HF_CALTECH256_FILES.entries()) {
    const mine = rows.map((r, i) => ({ r, i })).filter(({ r }) => r[0] === f);
    writeHf(hfPath(data, 'caltech256', file), {
      image: 'image',
      images: await Promise.all(mine.map(({ i }) => solidJpeg(20 * i + 10))),
      ints: { label: mine.map(({ r }) => r[1]) },
      strings: { text: mine.map(({ r }) => r[2]) },
    });
  }
}

/** efekankavalci/CUB_200_2011 from `[file, labels]` parts: an `image` of red = label, ClassLabel names without the NNN. */
export async function hfCub200(data: string, parts: readonly (readonly [string, readonly number[]])[]): Promise<void> {
  const names = CUB200_CLASSES.map((c) => c.slice(4));
  for (const [file, labels] of parts) {
    writeHf(hfPath(data, 'cub200', file), {
      image: 'image',
      images: await Promise.all(labels.map((l) => solidJpeg(l))),
      ints: { label: labels },
      classLabels: { label: names },
    });
  }
}

const DOG_BREEDS = STANFORD_DOGS_SYNSETS.map((s) => s.slice(s.indexOf('-') + 1));
/** amaye15/stanford-dogs names its labels by breed in alphabetical order, not in synset order. */
const DOG_BREEDS_ALPHABETICAL = [...DOG_BREEDS].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
/** The HF copy's label of the breed at `synsetIndex` of the synset order. */
export const hfDogsLabel = (synsetIndex: number): number =>
  DOG_BREEDS_ALPHABETICAL.indexOf(DOG_BREEDS[synsetIndex] as string);

/** amaye15/stanford-dogs from `[file, synset indices]` parts: `pixel_values` of red 2 x index, alphabetical labels. */
export async function hfStanfordDogs(
  data: string,
  parts: readonly (readonly [string, readonly number[]])[],
): Promise<void> {
  for (const [file, labels] of parts) {
    writeHf(hfPath(data, 'stanford-dogs', file), {
      image: 'pixel_values',
      images: await Promise.all(labels.map((l) => solidJpeg(l * 2))),
      ints: { label: labels.map(hfDogsLabel) },
      classLabels: { label: DOG_BREEDS_ALPHABETICAL },
    });
  }
}

/** One row of wltjr1007/DomainNet: [domain index, label]. */
export type DomainNetRow = readonly [number, number];

/**
 * wltjr1007/DomainNet: `data/train-0000<i>-of-00003.parquet` for each of the three train parts and
 * `data/test-00000-of-00001.parquet`, every domain in one table with `domain` and ClassLabel `label` columns; the
 * `image` of row (d, l) has red 40d + l % 7.
 */
export async function hfDomainNet(
  data: string,
  train: readonly (readonly DomainNetRow[])[],
  test: readonly DomainNetRow[],
): Promise<void> {
  const write = async (file: string, rows: readonly DomainNetRow[]): Promise<void> =>
    writeHf(hfPath(data, 'domainnet', file), {
      image: 'image',
      images: await Promise.all(rows.map(([d, l]) => solidJpeg(40 * d + (l % 7)))),
      ints: { label: rows.map((r) => r[1]), domain: rows.map((r) => r[0]) },
      classLabels: { label: [...DOMAINNET_CLASSES] },
    });
  for (const [i, rows] of train.entries()) await write(`data/train-0000${i}-of-00003.parquet`, rows);
  await write('data/test-00000-of-00001.parquet', test);
}
