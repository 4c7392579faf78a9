import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { caltech256 } from '../../src/plugins/datasets/caltech256.js';
import { cifar10, cifar100 } from '../../src/plugins/datasets/cifar.js';
import { CUB200_CLASSES } from '../../src/plugins/datasets/cub200-classes.js';
import { cub200 } from '../../src/plugins/datasets/cub200.js';
import { DOMAINNET_CLASSES } from '../../src/plugins/datasets/domainnet-classes.js';
import { DOMAINNET_DOMAINS, domainNet } from '../../src/plugins/datasets/domainnet.js';
import { STANFORD_DOGS_SYNSETS, stanfordDogs } from '../../src/plugins/datasets/stanford-dogs.js';
import { tempDir } from '../helpers/index.js';

const options = (dataDir: string, dataset: string, imageSize: number) => ({
  imageSize,
  dataDir,
  files: datasetFiles(dataDir, dataset),
  rng: Rng.fromSeed(0),
});

interface HfTable {
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
function writeHf(path: string, table: HfTable): void {
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
async function patternPng(i: number): Promise<{ png: Buffer; raw: Uint8Array }> {
  const raw = Uint8Array.from({ length: 32 * 32 * 3 }, (_, k) => (7 * Math.floor(k / 3) + 3 * (k % 3) + 29 * i) & 255);
  return {
    png: await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toBuffer(),
    raw,
  };
}

/** A small flat-colour JPEG whose red channel encodes `value`. */
const jpeg = (value: number): Promise<Buffer> =>
  sharp({ create: { width: 20, height: 14, channels: 3, background: { r: value, g: 90, b: 30 } } })
    .jpeg({ quality: 95 })
    .toBuffer();

const hfPath = (data: string, dataset: string, file: string) => join(data, 'datasets', dataset, 'hf', file);
const red = async (split: { read(i: number[]): Promise<{ pixels: Uint8Array; width: number }> }, i: number) =>
  (await split.read([i])).pixels[0] as number;

const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

describe('cifar10 and cifar100 from the HF parquet copies', () => {
  it('reads uoft-cs/cifar10 with exact pixels, labels and source, and resizes on read', async () => {
    const data = tempDir();
    const images = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(patternPng));
    const labels = [3, 0, 9, 3, 5, 1, 7];
    writeHf(hfPath(data, 'cifar10', 'plain_text/train-00000-of-00001.parquet'), {
      image: 'img',
      images: images.map((m) => m.png),
      ints: { label: labels },
      classLabels: { label: CIFAR10_NAMES },
    });
    writeHf(hfPath(data, 'cifar10', 'plain_text/test-00000-of-00001.parquet'), {
      image: 'img',
      images: [images[6]!.png],
      ints: { label: [8] },
      classLabels: { label: CIFAR10_NAMES },
    });
    const config = cifar10.configSchema.parse({ source: 'hf' });
    expect(cifar10.availability?.(config, datasetFiles(data, 'cifar10'))).toMatchObject({ present: true });
    expect(cifar10.availability?.(config, datasetFiles(tempDir(), 'cifar10'))?.detail).toContain(
      'https://huggingface.co/datasets/uoft-cs/cifar10/resolve/main/plain_text/train-00000-of-00001.parquet',
    );
    const train = await cifar10.open('train', config, options(data, 'cifar10', 32));
    expect(train.source).toBe('hf:uoft-cs/cifar10 plain_text/train-00000-of-00001.parquet');
    expect([...train.labels]).toEqual(labels);
    const batch = await train.read([5, 0]);
    expect([batch.height, batch.width, batch.count]).toEqual([32, 32, 2]);
    expect(batch.pixels.subarray(0, 3072)).toEqual(images[5]!.raw);
    expect(batch.pixels.subarray(3072)).toEqual(images[0]!.raw);
    const small = await cifar10.open('train', config, options(data, 'cifar10', 16));
    expect((await small.read([2])).pixels.length).toBe(16 * 16 * 3);
    const test = await cifar10.open('test', config, options(data, 'cifar10', 32));
    expect([...test.labels]).toEqual([8]);
  });

  it('remaps cifar100 fine and coarse labels by ClassLabel name when the HF order differs', async () => {
    const data = tempDir();
    const fine = cifar100.describe(cifar100.configSchema.parse({})).classNames;
    const coarse = cifar100.describe(cifar100.configSchema.parse({ labels: 'coarse' })).classNames;
    const images = await Promise.all([0, 1, 2].map(patternPng));
    for (const split of ['train', 'test']) {
      writeHf(hfPath(data, 'cifar100', `cifar100/${split}-00000-of-00001.parquet`), {
        image: 'img',
        images: images.map((m) => m.png),
        ints: { fine_label: [0, 1, 99], coarse_label: [0, 5, 19] },
        classLabels: { fine_label: [...fine].reverse(), coarse_label: [...coarse] }, // fine names in reverse order
      });
    }
    const fineSplit = await cifar100.open(
      'train',
      cifar100.configSchema.parse({ source: 'hf' }),
      options(data, 'cifar100', 32),
    );
    expect([...fineSplit.labels]).toEqual([99, 98, 0]);
    const coarseSplit = await cifar100.open(
      'test',
      cifar100.configSchema.parse({ source: 'hf', labels: 'coarse' }),
      options(data, 'cifar100', 32),
    );
    expect([...coarseSplit.labels]).toEqual([0, 5, 19]);
    expect(coarseSplit.source).toBe('hf:uoft-cs/cifar100 cifar100/test-00000-of-00001.parquet');
  });

  it('rejects an unknown label and a corrupt file, naming the file and row', async () => {
    const data = tempDir();
    const png = (await patternPng(0)).png;
    const file = hfPath(data, 'cifar10', 'plain_text/train-00000-of-00001.parquet');
    writeHf(file, {
      image: 'img',
      images: [png, png, png, png],
      ints: { label: [1, 2, 3, 10] },
      classLabels: { label: CIFAR10_NAMES },
    });
    const config = cifar10.configSchema.parse({ source: 'hf' });
    await expect(cifar10.open('train', config, options(data, 'cifar10', 32))).rejects.toThrow(
      `${file} row 3: label 10 is not one of the file's 10 ClassLabel values`,
    );
    writeHf(file, {
      image: 'img',
      images: [png, png],
      ints: { label: [0, 1] },
      classLabels: { label: ['automobile', 'spaceship', 'bird'] },
    });
    await expect(cifar10.open('train', config, options(data, 'cifar10', 32))).rejects.toThrow(
      `${file} row 1: label 1 is class 'spaceship', which is not a known class of this dataset`,
    );
    writeFileSync(file, 'PAR1 truncated download');
    await expect(cifar10.open('train', config, options(data, 'cifar10', 32))).rejects.toThrow(
      `${file}: not a readable parquet file`,
    );
  });
});

describe('caltech256 from the HF parquet copy', () => {
  const files = [
    'data/train-00000-of-00002.parquet',
    'data/train-00001-of-00002.parquet',
    'data/validation-00000-of-00001.parquet',
    'data/test-00000-of-00001.parquet',
  ];

  it('makes train from train + validation rows, labels by text with the int label 1-based, keeps or drops clutter', async () => {
    const data = tempDir();
    // [file, int label (folder number, 1-based), text]
    const rows: [number, number, string][] = [
      [0, 1, 'ak47'],
      [0, 257, 'clutter'],
      [0, 2, 'american-flag'],
      [0, 1, 'ak47'],
      [1, 256, 'toad'],
      [2, 2, 'american-flag'],
      [2, 257, 'clutter'],
      [3, 1, 'ak47'],
      [3, 256, 'toad'],
    ];
    for (const [f, file] of files.entries()) {
      const mine = rows.map((r, i) => ({ r, i })).filter(({ r }) => r[0] === f);
      writeHf(hfPath(data, 'caltech256', file), {
        image: 'image',
        images: await Promise.all(mine.map(({ i }) => jpeg(20 * i + 10))),
        ints: { label: mine.map(({ r }) => r[1]) },
        strings: { text: mine.map(({ r }) => r[2]) },
      });
    }
    const config = caltech256.configSchema.parse({ source: 'hf' });
    const train = await caltech256.open('train', config, options(data, 'caltech256', 8));
    expect([...train.labels]).toEqual([0, 256, 1, 0, 255, 1, 256]);
    expect(train.source).toContain(
      'hf:ilee0022/Caltech-256 data/train-00000-of-00002.parquet, data/train-00001-of-00002.parquet, data/validation-00000-of-00001.parquet',
    );
    expect(Math.abs((await red(train, 5)) - 110)).toBeLessThan(4); // row 5 = validation's first row
    const test = await caltech256.open('test', config, options(data, 'caltech256', 8));
    expect([...test.labels]).toEqual([0, 255]);
    expect(Math.abs((await red(test, 1)) - 170)).toBeLessThan(4);
    const noClutter = await caltech256.open(
      'train',
      caltech256.configSchema.parse({ source: 'hf', clutter: false }),
      options(data, 'caltech256', 8),
    );
    expect([...noClutter.labels]).toEqual([0, 1, 0, 255, 1]);
    expect(caltech256.availability?.(config, datasetFiles(data, 'caltech256'))).toMatchObject({ present: true });
  });

  it('rejects an unknown class name and a label numbered unlike the others', async () => {
    const data = tempDir();
    const image = await jpeg(50);
    const write = (labels: number[], texts: string[]) => {
      for (const file of files)
        writeHf(hfPath(data, 'caltech256', file), {
          image: 'image',
          images: labels.map(() => image),
          ints: { label: labels },
          strings: { text: texts },
        });
    };
    const config = caltech256.configSchema.parse({ source: 'hf' });
    const first = hfPath(data, 'caltech256', files[0]!);
    write([0, 1], ['ak47', 'flux-capacitor']);
    await expect(caltech256.open('train', config, options(data, 'caltech256', 8))).rejects.toThrow(
      `${first} row 1: text "flux-capacitor" is not a Caltech-256 class`,
    );
    write([0, 2], ['ak47', 'american-flag']);
    await expect(caltech256.open('train', config, options(data, 'caltech256', 8))).rejects.toThrow(
      `${first} row 1: label 2 with text 'american-flag' (class 2) disagrees`,
    );
  });
});

describe('cub200 and stanford-dogs from the HF parquet copies', () => {
  it('reads efekankavalci/CUB_200_2011 with its ClassLabel names', async () => {
    const data = tempDir();
    const names = CUB200_CLASSES.map((c) => c.slice(4));
    const parts: [string, number[]][] = [
      ['data/train-00000-of-00002.parquet', [0, 5]],
      ['data/train-00001-of-00002.parquet', [199]],
      ['data/test-00000-of-00002.parquet', [1]],
      ['data/test-00001-of-00002.parquet', [2, 3]],
    ];
    for (const [file, labels] of parts) {
      writeHf(hfPath(data, 'cub200', file), {
        image: 'image',
        images: await Promise.all(labels.map((l) => jpeg(l))),
        ints: { label: labels },
        classLabels: { label: names },
      });
    }
    const config = cub200.configSchema.parse({ source: 'hf' });
    const train = await cub200.open('train', config, options(data, 'cub200', 8));
    expect([...train.labels]).toEqual([0, 5, 199]);
    expect(Math.abs((await red(train, 2)) - 199)).toBeLessThan(4);
    const test = await cub200.open('test', config, options(data, 'cub200', 8));
    expect([...test.labels]).toEqual([1, 2, 3]);
    expect(test.source).toBe(
      'hf:efekankavalci/CUB_200_2011 data/test-00000-of-00002.parquet, data/test-00001-of-00002.parquet (official split)',
    );
  });

  it('remaps amaye15/stanford-dogs labels from alphabetical breed names to synset order and records its split', async () => {
    const data = tempDir();
    const breeds = STANFORD_DOGS_SYNSETS.map((s) => s.slice(s.indexOf('-') + 1));
    const alphabetical = [...breeds].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const hfLabel = (synsetIndex: number) => alphabetical.indexOf(breeds[synsetIndex]!);
    const parts: [string, number[]][] = [
      ['data/train-00000-of-00002.parquet', [0, 119, 7, 7]],
      ['data/train-00001-of-00002.parquet', [60]],
      ['data/test-00000-of-00001.parquet', [3]],
    ];
    for (const [file, labels] of parts) {
      writeHf(hfPath(data, 'stanford-dogs', file), {
        image: 'pixel_values',
        images: await Promise.all(labels.map((l) => jpeg(l * 2))),
        ints: { label: labels.map(hfLabel) },
        classLabels: { label: alphabetical },
      });
    }
    expect(hfLabel(0)).not.toBe(0);
    const config = stanfordDogs.configSchema.parse({ source: 'hf' });
    const train = await stanfordDogs.open('train', config, options(data, 'stanford-dogs', 8));
    expect([...train.labels]).toEqual([0, 119, 7, 7, 60]);
    expect(Math.abs((await red(train, 1)) - 238)).toBeLessThan(4);
    expect(train.source).toContain('hf:amaye15/stanford-dogs');
    expect(train.source).toContain('NOT the official 12,000 / 8,580 split');
    expect([...(await stanfordDogs.open('test', config, options(data, 'stanford-dogs', 8))).labels]).toEqual([3]);
  });
});

describe('domainnet from the HF parquet copy', () => {
  it('takes train rows of the source domain only and <d>/test rows of domain d', async () => {
    const data = tempDir();
    const names = [...DOMAINNET_CLASSES];
    // [domain index, label]; spread over the three train files
    const train: [number, number][][] = [
      [
        [4, 0],
        [5, 1],
        [4, 344],
      ],
      [
        [0, 2],
        [4, 66],
        [3, 5],
      ],
      [
        [1, 7],
        [2, 8],
        [4, 9],
      ],
    ];
    const test: [number, number][] = [
      [4, 10],
      [5, 11],
      [5, 12],
      [0, 13],
      [4, 14],
    ];
    const write = async (file: string, rows: [number, number][]) =>
      writeHf(hfPath(data, 'domainnet', file), {
        image: 'image',
        images: await Promise.all(rows.map(([d, l]) => jpeg(40 * d + (l % 7)))),
        ints: { label: rows.map((r) => r[1]), domain: rows.map((r) => r[0]) },
        classLabels: { label: names },
      });
    for (const [i, rows] of train.entries()) await write(`data/train-0000${i}-of-00003.parquet`, rows);
    await write('data/test-00000-of-00001.parquet', test);
    const config = domainNet.configSchema.parse({ source: 'hf', domain: 'real' });
    const opened = await domainNet.open('train', config, options(data, 'domainnet', 8));
    expect([...opened.labels]).toEqual([0, 344, 66, 9]);
    expect(Math.abs((await red(opened, 3)) - 162)).toBeLessThan(4); // real (4): 160 + 9 % 7
    expect(opened.source).toContain('train rows of domain real');
    const inDomain = await domainNet.open('test', config, options(data, 'domainnet', 8));
    expect([...inDomain.labels]).toEqual([10, 14]);
    const sketch = await domainNet.open('sketch/test', config, options(data, 'domainnet', 8));
    expect([...sketch.labels]).toEqual([11, 12]);
    expect(Math.abs((await red(sketch, 1)) - 205)).toBeLessThan(4); // sketch (5): 200 + 12 % 7
    expect([...(await domainNet.open('clipart/test', config, options(data, 'domainnet', 8))).labels]).toEqual([13]);
    await expect(domainNet.open('painting/test', config, options(data, 'domainnet', 8))).rejects.toThrow(
      'no rows selected',
    );
    expect(domainNet.availability?.(config, datasetFiles(data, 'domainnet'))).toMatchObject({ present: true });
    expect(DOMAINNET_DOMAINS[4]).toBe('real');
  });
});
