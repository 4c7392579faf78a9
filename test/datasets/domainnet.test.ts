import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatasetFiles } from '../../src/core/contracts/index.js';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { domainNet } from '../../src/plugins/datasets/domainnet.js';
import { domainShift } from '../../src/plugins/shifts/domains.js';
import { colour, MISSING, writeDomainNet } from '../helpers/domainnet.js';
import { tempDir } from '../helpers/index.js';

const SIZE = 8;

/** The DatasetFiles of `dataDir`, counting image decodes. */
function countingFiles(dataDir: string): { files: DatasetFiles; decodes: () => number } {
  const real = datasetFiles(dataDir, 'domainnet');
  let count = 0;
  const files: DatasetFiles = {
    ...real,
    decodeImage: (bytes, size, origin) => {
      count++;
      return real.decodeImage(bytes, size, origin);
    },
  };
  return { files, decodes: () => count };
}

const openOptions = (dataDir: string, files: DatasetFiles) => ({
  imageSize: SIZE,
  dataDir,
  files,
  rng: Rng.fromSeed(0),
});

let data: string;
let dir: string;
beforeAll(async () => {
  data = tempDir();
  dir = join(data, 'datasets', 'domainnet');
  await writeDomainNet(dir);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Pixel (0,0) of image `i` of a split read at SIZE. */
async function firstPixel(split: Awaited<ReturnType<typeof domainNet.open>>, i: number): Promise<number[]> {
  const batch = await split.read([i]);
  expect(batch.pixels.length).toBe(SIZE * SIZE * 3);
  return [...batch.pixels.subarray(0, 3)];
}

const near = (actual: number[], { r, g, b }: { r: number; g: number; b: number }, tolerance: number): void => {
  [r, g, b].forEach((v, c) => expect(Math.abs((actual[c] as number) - v)).toBeLessThanOrEqual(tolerance));
};

describe('domainnet', () => {
  it('describes 345 classes in label order, six domains, the source domain and the OOD splits', () => {
    const config = domainNet.configSchema.parse({});
    expect(config).toEqual({ domain: 'real' });
    const description = domainNet.describe(config);
    expect(description.numClasses).toBe(345);
    expect(description.classNames).toHaveLength(345);
    expect(new Set(description.classNames).size).toBe(345);
    expect([0, 66, 67, 307, 308, 311, 327, 343, 344].map((i) => description.classNames[i])).toEqual([
      'aircraft_carrier',
      'cello',
      'cell_phone',
      'tent',
      'The_Eiffel_Tower',
      'tiger',
      't-shirt',
      'zebra',
      'zigzag',
    ]);
    expect(description.domains).toEqual(['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch']);
    expect(description.domain).toBe('real');
    expect(description.splits).toEqual([
      'train',
      'test',
      'clipart/test',
      'infograph/test',
      'painting/test',
      'quickdraw/test',
      'sketch/test',
    ]);
    // The built-in `domains` shift asks for exactly the other domains' test splits.
    expect(domainShift.splits(description, {})).toEqual(description.splits.slice(2));
    expect(domainNet.describe(domainNet.configSchema.parse({ domain: 'sketch' })).splits).toContain('real/test');
    expect(() => domainNet.configSchema.parse({ domain: 'photo' })).toThrow();
  });

  it('reads the source domain train/test and another domain, skipping and reporting a missing listed image once', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const { files, decodes } = countingFiles(data);
    const config = domainNet.configSchema.parse({ domain: 'real' });

    const train = await domainNet.open('train', config, openOptions(data, files));
    expect(train.size).toBe(6);
    expect([...train.labels]).toEqual([0, 0, 66, 66, 343, 343]);
    expect(decodes()).toBe(6);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toContain(
      `1 of the 7 images listed in ${join(dir, 'real_train.txt')} are not in ${join(dir, 'real.zip')}`,
    );
    expect(message).toContain(MISSING);
    // List order is kept around the skipped line (between cello images 1 and 2).
    near(await firstPixel(train, 0), colour(4, 0, 1), 6);
    near(await firstPixel(train, 2), colour(4, 66, 1), 6);
    near(await firstPixel(train, 3), colour(4, 66, 2), 6);
    near(await firstPixel(train, 5), colour(4, 343, 2), 6);

    warn.mockClear();
    const test = await domainNet.open('test', config, openOptions(data, files));
    expect([...test.labels]).toEqual([0, 66, 343]);
    near(await firstPixel(test, 1), colour(4, 66, 3), 6);
    expect(warn).not.toHaveBeenCalled();

    // Another domain's test split: quickdraw's PNGs decode exactly; sketch's archive is ZIP64.
    const quickdraw = await domainNet.open('quickdraw/test', config, openOptions(data, files));
    expect([...quickdraw.labels]).toEqual([0, 66, 343]);
    expect(await firstPixel(quickdraw, 2)).toEqual(Object.values(colour(3, 343, 3)));
    const sketch = await domainNet.open('sketch/test', config, openOptions(data, files));
    near(await firstPixel(sketch, 0), colour(5, 0, 3), 6);
    expect(warn).not.toHaveBeenCalled();
  });

  it('serves a second open from the cache without decoding, and still reports the missing image once', async () => {
    const dataDir = tempDir();
    await writeDomainNet(join(dataDir, 'datasets', 'domainnet'));
    const config = domainNet.configSchema.parse({});
    const first = countingFiles(dataDir);
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const train = await domainNet.open('train', config, openOptions(dataDir, first.files));
    expect(first.decodes()).toBe(6);

    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    warn.mockClear();
    const second = countingFiles(dataDir);
    const again = await domainNet.open('train', config, openOptions(dataDir, second.files));
    expect(second.decodes()).toBe(0);
    expect([...again.labels]).toEqual([...train.labels]);
    expect((await again.read([0, 3, 5])).pixels).toEqual((await train.read([0, 3, 5])).pixels);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('1 of the 7 images listed');

    // Another image size is another cache entry.
    const larger = await domainNet.open('train', config, { ...openOptions(dataDir, second.files), imageSize: 4 });
    expect(second.decodes()).toBe(6);
    expect((await larger.read([0])).pixels.length).toBe(4 * 4 * 3);
  });

  it('trains on another configured domain, whose OOD splits include real', async () => {
    const config = domainNet.configSchema.parse({ domain: 'clipart' });
    const { files } = countingFiles(data);
    const train = await domainNet.open('train', config, openOptions(data, files));
    expect([...train.labels]).toEqual([0, 0, 66, 66, 343, 343]);
    near(await firstPixel(train, 3), colour(0, 66, 2), 6);
    const real = await domainNet.open('real/test', config, openOptions(data, files));
    expect(real.size).toBe(3);
  });

  it('names the list file and line of a bad label, and rejects unknown splits', async () => {
    const dataDir = tempDir();
    const target = join(dataDir, 'datasets', 'domainnet');
    await writeDomainNet(target);
    const { files } = countingFiles(dataDir);
    const config = domainNet.configSchema.parse({});
    const list = join(target, 'real_test.txt');
    const lines = readFileSync(list, 'utf8').split('\r\n');

    writeFileSync(list, [lines[0], lines[1]?.replace(/ 66$/, ' 345')].join('\n'));
    await expect(domainNet.open('test', config, openOptions(dataDir, files))).rejects.toThrow(
      `${list}:2: label '345' is not a class number 0..344`,
    );
    writeFileSync(list, [lines[0], lines[1]?.replace(/ 66$/, ' 67')].join('\n'));
    await expect(domainNet.open('test', config, openOptions(dataDir, files))).rejects.toThrow(
      `${list}:2: 'real/cello/real_067_000003.jpg' has label 67, which is class 'cell_phone', not 'cello'`,
    );
    writeFileSync(list, 'real/cello/real_067_000003.jpg\n');
    await expect(domainNet.open('test', config, openOptions(dataDir, files))).rejects.toThrow(
      `${list}:1: expected '<path> <label>'`,
    );

    await expect(domainNet.open('validation', config, openOptions(dataDir, files))).rejects.toThrow(
      "domainnet has no split 'validation' (splits: train, test, clipart/test, infograph/test, painting/test, quickdraw/test, sketch/test)",
    );
    await expect(domainNet.open('photo/test', config, openOptions(dataDir, files))).rejects.toThrow(
      "no split 'photo/test'",
    );
  });

  it('reports availability from the files present', () => {
    const config = domainNet.configSchema.parse({});
    expect(domainNet.availability?.(config, datasetFiles(data, 'domainnet'))).toMatchObject({ present: true });
    const empty = domainNet.availability?.(config, datasetFiles(tempDir(), 'domainnet'));
    expect(empty?.present).toBe(false);
    expect(empty?.detail).toContain('real.zip, real_train.txt, clipart_test.txt, clipart.zip');
    expect(empty?.detail).toContain('http://csr.bu.edu/ftp/visda/2019/multi-source/');
  });
});
