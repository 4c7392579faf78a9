import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { cifar10, cifar100 } from '../../src/plugins/datasets/cifar.js';
import { fashionMnist } from '../../src/plugins/datasets/fashion-mnist.js';
import { imageFolder } from '../../src/plugins/datasets/imagefolder.js';
import { cifarArchive, fashionMnistFiles, idxFile, imageFolderTree, tempDir } from '../helpers/index.js';

const options = (dataDir: string, dataset: string, imageSize: number) => ({
  imageSize,
  dataDir,
  files: datasetFiles(dataDir, dataset),
  rng: Rng.fromSeed(0),
});

describe('fashion-mnist', () => {
  it('reads generated IDX files: counts, labels, class subsets, gray to RGB, resizing', async () => {
    const dir = tempDir();
    const count = 20;
    const images = Uint8Array.from({ length: count * 28 * 28 }, (_, i) => (i * 7) % 256);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    fashionMnistFiles(dir, images, labels);
    const data = tempDir();
    const split = await fashionMnist.open('train', { dir }, options(data, 'fashion-mnist', 28));
    expect(split.size).toBe(count);
    expect([...split.labels]).toEqual([...labels]);
    const batch = await split.read([3]);
    expect([...batch.pixels.subarray(0, 6)]).toEqual([
      images[3 * 784],
      images[3 * 784],
      images[3 * 784],
      images[3 * 784 + 1],
      images[3 * 784 + 1],
      images[3 * 784 + 1],
    ]);
    const subset = await fashionMnist.open('test', { dir, classes: [7, 2] }, options(data, 'fashion-mnist', 32));
    expect(subset.size).toBe(4);
    expect([...subset.labels]).toEqual([1, 0, 1, 0]);
    expect(fashionMnist.describe({ classes: [7, 2] }).classNames).toEqual(['Sneaker', 'Pullover']);
    expect((await subset.read([0, 1])).pixels.length).toBe(2 * 32 * 32 * 3);
  });

  it('refuses a label file with labels that are not classes, naming the file, the index and the label', async () => {
    const dir = tempDir();
    const labels = Uint8Array.from({ length: 10 }, (_, i) => i);
    labels[3] = 200;
    labels[7] = 12;
    fashionMnistFiles(dir, new Uint8Array(10 * 784), labels);
    const message = `${join(dir, 'train-labels-idx1-ubyte.gz')}: label 200 at index 3 is not a class (expected 0 to 9)`;
    await expect(fashionMnist.open('train', { dir }, options(tempDir(), 'fashion-mnist', 28))).rejects.toThrow(message);
    // A class subset would otherwise drop the bad labels unnoticed.
    await expect(
      fashionMnist.open('test', { dir, classes: [0, 1] }, options(tempDir(), 'fashion-mnist', 28)),
    ).rejects.toThrow(`${join(dir, 't10k-labels-idx1-ubyte.gz')}: label 200 at index 3`);
  });

  it('names the file of a truncated IDX and of a missing one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idxFile(0x803, [5, 28, 28], new Uint8Array(100)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idxFile(0x801, [5], new Uint8Array(5)));
    await expect(fashionMnist.open('train', { dir }, options(tempDir(), 'fashion-mnist', 28))).rejects.toThrow(
      `${join(dir, 'train-images-idx3-ubyte.gz')}: truncated IDX file: dimensions [5, 28, 28] need 3920 bytes of data, found 100`,
    );
    await expect(fashionMnist.open('test', { dir }, options(tempDir(), 'fashion-mnist', 28))).rejects.toThrow(
      `dataset 'fashion-mnist' needs t10k-images-idx3-ubyte.gz, which is not present`,
    );
  });

  const debian = '/usr/share/datasets/fashion-mnist';
  it.skipIf(!existsSync(debian) && !process.env['CI'])(
    'loads the real files from the Debian package: 60,000 / 10,000, 6,000 per class',
    async () => {
      const data = tempDir();
      const train = await fashionMnist.open('train', {}, options(data, 'fashion-mnist', 28));
      const test = await fashionMnist.open('test', {}, options(data, 'fashion-mnist', 28));
      expect(train.size).toBe(60_000);
      expect(test.size).toBe(10_000);
      const perClass = new Array<number>(10).fill(0);
      for (const label of train.labels) perClass[label] = (perClass[label] as number) + 1;
      expect(perClass).toEqual(new Array(10).fill(6000));
      expect(fashionMnist.availability?.({}, datasetFiles(data, 'fashion-mnist'))).toMatchObject({
        present: true,
        detail: debian,
      });
    },
  );
});

describe('cifar10 and cifar100', () => {
  it('read the binary archives: labels, planar-to-HWC pixels, official splits', async () => {
    const data = tempDir();
    const batches = {
      'data_batch_1.bin': 3,
      'data_batch_2.bin': 2,
      'data_batch_3.bin': 2,
      'data_batch_4.bin': 2,
      'data_batch_5.bin': 2,
      'test_batch.bin': 4,
      'batches.meta.txt': 0,
    };
    await cifarArchive(join(data, 'datasets', 'cifar10'), 'cifar-10-binary.tar.gz', 'cifar-10-batches-bin', batches, 1);
    const train = await cifar10.open('train', {}, options(data, 'cifar10', 32));
    expect(train.size).toBe(11);
    expect([...train.labels.subarray(0, 4)]).toEqual([0, 1, 2, 0]);
    const first = await train.read([1]);
    // record 1, pixel (0,0): R plane byte 0, G plane byte 1024, B plane byte 2048
    expect([...first.pixels.subarray(0, 3)]).toEqual([1 % 251, (1 + 1024) % 251, (1 + 2048) % 251]);
    expect((await cifar10.open('test', {}, options(data, 'cifar10', 32))).size).toBe(4);
    expect(cifar10.describe({}).classNames).toEqual([
      'airplane',
      'automobile',
      'bird',
      'cat',
      'deer',
      'dog',
      'frog',
      'horse',
      'ship',
      'truck',
    ]);

    await cifarArchive(
      join(data, 'datasets', 'cifar100'),
      'cifar-100-binary.tar.gz',
      'cifar-100-binary',
      { 'train.bin': 6, 'test.bin': 3 },
      2,
    );
    const fine = await cifar100.open('train', { labels: 'fine' }, options(data, 'cifar100', 16));
    expect([...fine.labels]).toEqual([0, 3, 6, 9, 12, 15]);
    const coarse = await cifar100.open('test', { labels: 'coarse' }, options(data, 'cifar100', 16));
    expect([...coarse.labels]).toEqual([0, 1, 2]);
    expect((await coarse.read([0])).pixels.length).toBe(16 * 16 * 3);
    expect(cifar100.describe({ labels: 'fine' }).classNames).toHaveLength(100);
    expect(cifar100.describe({ labels: 'coarse' }).classNames).toHaveLength(20);
  });

  it('names a truncated batch and a missing batch file', async () => {
    const data = tempDir();
    await cifarArchive(
      join(data, 'datasets', 'cifar10'),
      'cifar-10-binary.tar.gz',
      'cifar-10-batches-bin',
      { 'test_batch.bin': 2 },
      1,
      10,
    );
    await expect(cifar10.open('test', {}, options(data, 'cifar10', 32))).rejects.toThrow(
      'test_batch.bin: truncated CIFAR batch: 6136 bytes is not a whole number of 3073-byte records',
    );
    await expect(cifar10.open('train', {}, options(data, 'cifar10', 32))).rejects.toThrow(
      /missing data_batch_1\.bin, data_batch_2\.bin, .*not the binary version/,
    );
  });
});

describe('imagefolder', () => {
  it('labels sorted class folders, splits by seed, decodes and resizes, and caches the decoded pixels', async () => {
    const root = tempDir();
    await imageFolderTree(root, { dog: 5, cat: 5 });
    writeFileSync(join(root, 'cat', 'notes.txt'), 'not an image');
    const victim = join(root, 'dog', 'img1.png');
    utimesSync(victim, 1_700_000_000, 1_700_000_000); // a whole second survives the round trip exactly
    const config = imageFolder.configSchema.parse({ path: root });
    expect(imageFolder.describe(config)).toMatchObject({ numClasses: 2, classNames: ['cat', 'dog'] });
    const data = tempDir();
    const train = await imageFolder.open('train', config, options(data, 'imagefolder', 8));
    const test = await imageFolder.open('test', config, options(data, 'imagefolder', 8));
    expect([train.size, test.size]).toEqual([8, 2]);
    expect([...test.labels].sort()).toEqual([0, 1]);
    const cat = await train.read([[...train.labels].indexOf(0)]);
    expect(cat.pixels.length).toBe(8 * 8 * 3);
    expect(Math.abs((cat.pixels[0] as number) - 200)).toBeLessThan(3);
    // The cache serves the second open: a corrupted source image with the same size and time is never decoded.
    writeFileSync(victim, Buffer.alloc(statSync(victim).size, 7));
    utimesSync(victim, 1_700_000_000, 1_700_000_000);
    const again = await imageFolder.open('train', config, options(data, 'imagefolder', 8));
    expect((await again.read([0, 1, 2])).pixels).toEqual((await train.read([0, 1, 2])).pixels);
    expect(readdirSync(join(data, 'datasets', 'imagefolder', 'cache')).length).toBe(4);
  });

  it('uses train/ and test/ folders when present, and with strict: true names an undecodable image', async () => {
    const root = tempDir();
    await imageFolderTree(join(root, 'train'), { a: 2, b: 2 });
    await imageFolderTree(join(root, 'test'), { a: 1, b: 1 });
    const config = imageFolder.configSchema.parse({ path: root });
    expect((await imageFolder.open('test', config, options(tempDir(), 'imagefolder', 8))).size).toBe(2);
    writeFileSync(join(root, 'test', 'b', 'broken.jpg'), 'definitely not a jpeg');
    const strict = imageFolder.configSchema.parse({ path: root, strict: true });
    await expect(imageFolder.open('test', strict, options(tempDir(), 'imagefolder', 8))).rejects.toThrow(
      `${join(root, 'test', 'b', 'broken.jpg')}: not a decodable image`,
    );
    expect(() => imageFolder.describe({ path: join(root, 'nowhere'), testFraction: 0.2, strict: false })).toThrow(
      'is not a folder',
    );
  });

  /** The messages of the `DatasetWarning`s `open` emits. */
  async function warnings(open: () => Promise<unknown>): Promise<string[]> {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await open();
      return spy.mock.calls
        .filter(([, warning]) => (warning as { type?: string } | undefined)?.type === 'DatasetWarning')
        .map(([message]) => String(message));
    } finally {
      spy.mockRestore();
    }
  }

  it('skips an image that does not decode with one warning naming it, counts it, and refuses it with strict: true', async () => {
    const root = tempDir();
    await imageFolderTree(root, { cat: 4, dog: 4 });
    const broken = join(root, 'dog', 'broken.png');
    writeFileSync(broken, 'a text file named like a png');
    const data = tempDir();
    const config = imageFolder.configSchema.parse({ path: root });
    let all: Awaited<ReturnType<typeof imageFolder.open>> | undefined;
    const warned = await warnings(
      async () => (all = await imageFolder.open('all', config, options(data, 'imagefolder', 8))),
    );
    expect(warned).toEqual([
      `imagefolder: skipped 1 of the 9 images in the all split of ${root} that do not decode: ${broken}`,
    ]);
    expect([all?.size, all?.skipped, [...(all?.labels ?? [])]]).toEqual([8, 1, [0, 0, 0, 0, 1, 1, 1, 1]]);
    // Positions index the decodable images: the last one is dog/img3, not the empty slot of the broken file.
    const last = await all?.read([7]);
    expect(Math.abs((last?.pixels[0] as number) - 10)).toBeLessThan(3);
    await expect(all?.read([8])).rejects.toThrow('image index 8 is outside the split (0..7)');
    // The cached split skips and warns the same way without decoding again.
    const again = await warnings(() => imageFolder.open('all', config, options(data, 'imagefolder', 8)));
    expect(again).toEqual(warned);
    const train = await imageFolder.open('train', config, options(data, 'imagefolder', 8));
    const test = await imageFolder.open('test', config, options(data, 'imagefolder', 8));
    expect(train.size + test.size).toBe(8);
    expect((train.skipped ?? 0) + (test.skipped ?? 0)).toBe(1);
    const strict = imageFolder.configSchema.parse({ path: root, strict: true });
    await expect(imageFolder.open('all', strict, options(data, 'imagefolder', 8))).rejects.toThrow(
      `${broken}: not a decodable image`,
    );
    writeFileSync(join(root, 'cat', 'img0.jpg'), 'no');
    writeFileSync(join(root, 'cat', 'img1.png'), 'no');
    writeFileSync(join(root, 'cat', 'img2.png'), 'no');
    writeFileSync(join(root, 'cat', 'img3.jpg'), 'no');
    for (const name of ['img0.jpg', 'img1.png', 'img2.png', 'img3.jpg']) writeFileSync(join(root, 'dog', name), 'no');
    await expect(imageFolder.open('all', config, options(tempDir(), 'imagefolder', 8))).rejects.toThrow(
      `imagefolder: none of the 9 images in the all split of ${root} decodes (e.g. ${join(root, 'cat', 'img0.jpg')})`,
    );
  });

  it('has an all split of every image, presplit or not', async () => {
    const root = tempDir();
    await imageFolderTree(join(root, 'train'), { a: 3, b: 2 });
    await imageFolderTree(join(root, 'test'), { a: 2, b: 2 });
    const config = imageFolder.configSchema.parse({ path: root });
    expect(imageFolder.describe(config).splits).toEqual(['train', 'test', 'all']);
    const all = await imageFolder.open('all', config, options(tempDir(), 'imagefolder', 8));
    expect([all.size, [...all.labels], all.source]).toEqual([
      9,
      [0, 0, 0, 1, 1, 0, 0, 1, 1],
      `${root} (every image of train and test)`,
    ]);
    const flat = tempDir();
    await imageFolderTree(flat, { a: 3, b: 2 });
    const whole = await imageFolder.open(
      'all',
      imageFolder.configSchema.parse({ path: flat }),
      options(tempDir(), 'imagefolder', 8),
    );
    expect([whole.size, whole.source]).toEqual([5, `${flat} (every image)`]);
  });

  it('warns once, naming the class folder, when a class has a single image', async () => {
    const root = tempDir();
    await imageFolderTree(root, { cat: 1, dog: 4 });
    const config = imageFolder.configSchema.parse({ path: root });
    const message = `imagefolder: class folder ${join(root, 'cat')} has a single image; its class is learnt and measured from that one image`;
    const data = tempDir();
    expect(await warnings(() => imageFolder.open('train', config, options(data, 'imagefolder', 8)))).toEqual([message]);
    expect(await warnings(() => imageFolder.open('test', config, options(data, 'imagefolder', 8)))).toEqual([]);
    const presplit = tempDir();
    await imageFolderTree(join(presplit, 'train'), { a: 2, b: 2 });
    await imageFolderTree(join(presplit, 'test'), { a: 1, b: 2 });
    const split = imageFolder.configSchema.parse({ path: presplit });
    expect(await warnings(() => imageFolder.open('train', split, options(data, 'imagefolder', 8)))).toEqual([]);
    expect(await warnings(() => imageFolder.open('test', split, options(data, 'imagefolder', 8)))).toEqual([
      `imagefolder: class folder ${join(presplit, 'test', 'a')} has a single image; its class is learnt and measured from that one image`,
    ]);
  });
});

describe('split sources', () => {
  it('say where the images came from', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idxFile(0x803, [2, 28, 28], new Uint8Array(2 * 784)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idxFile(0x801, [2], new Uint8Array(2)));
    const split = await fashionMnist.open('train', { dir }, options(tempDir(), 'fashion-mnist', 28));
    expect(split.source).toBe(`${join(dir, 'train-images-idx3-ubyte.gz')}, ${join(dir, 'train-labels-idx1-ubyte.gz')}`);
  });
});
