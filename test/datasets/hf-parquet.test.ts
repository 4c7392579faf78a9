import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { caltech256 } from '../../src/plugins/datasets/caltech256.js';
import { cifar10, cifar100 } from '../../src/plugins/datasets/cifar.js';
import { cub200 } from '../../src/plugins/datasets/cub200.js';
import { DOMAINNET_DOMAINS, domainNet } from '../../src/plugins/datasets/domainnet.js';
import { stanfordDogs } from '../../src/plugins/datasets/stanford-dogs.js';
import {
  HF_CALTECH256_FILES,
  hfCaltech256,
  hfCifar10,
  hfCifar100,
  hfCub200,
  hfDogsLabel,
  hfDomainNet,
  hfPath,
  hfStanfordDogs,
  patternPng,
  writeHf,
} from '../helpers/hf-parquet.js';
import { solidJpeg, tempDir } from '../helpers/index.js';

const options = (dataDir: string, dataset: string, imageSize: number) => ({
  imageSize,
  dataDir,
  files: datasetFiles(dataDir, dataset),
  rng: Rng.fromSeed(0),
});

const red = async (split: { read(i: number[]): Promise<{ pixels: Uint8Array; width: number }> }, i: number) =>
  (await split.read([i])).pixels[0] as number;

describe('cifar10 and cifar100 from the HF parquet copies', () => {
  it('reads uoft-cs/cifar10 with exact pixels, labels and source, and resizes on read', async () => {
    const data = tempDir();
    const images = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(patternPng));
    const labels = [3, 0, 9, 3, 5, 1, 7];
    hfCifar10(
      data,
      'train',
      images.map((m) => m.png),
      labels,
    );
    hfCifar10(data, 'test', [images[6]!.png], [8]);
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
    for (const split of ['train', 'test'] as const) {
      hfCifar100(
        data,
        split,
        images.map((m) => m.png),
        { fine: [0, 1, 99], coarse: [0, 5, 19] },
        { fine: [...fine].reverse(), coarse }, // fine names in reverse order
      );
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
    const file = hfCifar10(data, 'train', [png, png, png, png], [1, 2, 3, 10]);
    const config = cifar10.configSchema.parse({ source: 'hf' });
    await expect(cifar10.open('train', config, options(data, 'cifar10', 32))).rejects.toThrow(
      `${file} row 3: label 10 is not one of the file's 10 ClassLabel values`,
    );
    hfCifar10(data, 'train', [png, png], [0, 1], ['automobile', 'spaceship', 'bird']);
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
    await hfCaltech256(data, rows);
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
    const image = await solidJpeg(50);
    const write = (labels: number[], texts: string[]) => {
      for (const file of HF_CALTECH256_FILES)
        writeHf(hfPath(data, 'caltech256', file), {
          image: 'image',
          images: labels.map(() => image),
          ints: { label: labels },
          strings: { text: texts },
        });
    };
    const config = caltech256.configSchema.parse({ source: 'hf' });
    const first = hfPath(data, 'caltech256', HF_CALTECH256_FILES[0]!);
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
    await hfCub200(data, [
      ['data/train-00000-of-00002.parquet', [0, 5]],
      ['data/train-00001-of-00002.parquet', [199]],
      ['data/test-00000-of-00002.parquet', [1]],
      ['data/test-00001-of-00002.parquet', [2, 3]],
    ]);
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
    await hfStanfordDogs(data, [
      ['data/train-00000-of-00002.parquet', [0, 119, 7, 7]],
      ['data/train-00001-of-00002.parquet', [60]],
      ['data/test-00000-of-00001.parquet', [3]],
    ]);
    expect(hfDogsLabel(0)).not.toBe(0);
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
    await hfDomainNet(data, train, test);
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
