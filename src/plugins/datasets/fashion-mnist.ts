import { gunzipSync } from 'node:zlib';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, definePlugin, memorySplit, z } from '../../core/contracts/index.js';
import type { DatasetFiles, FileSource } from '../../core/contracts/index.js';

const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
/** Where Debian's dataset-fashion-mnist package installs the files. */
const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
const MIRROR = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';
const FILES = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
} as const;

/** A file from `dir` when the config names one; else Debian's package, the cache or the download mirror. */
const source = (name: string, dir: string | undefined): FileSource =>
  dir !== undefined
    ? { name, urls: [], localPaths: [join(dir, name)], hint: `the config's dir (${dir}) must hold the four .gz files` }
    : {
        name,
        urls: [`${MIRROR}/${name}`],
        localPaths: [join(DEBIAN_DIR, name)],
        hint: 'Debian and Ubuntu ship the files in the package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)',
      };

/** Parses a gzip-compressed IDX file (magic 0x801 labels or 0x803 images, big-endian dimensions). */
function readIdx(path: string, magic: 0x801 | 0x803): { dims: number[]; data: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = gunzipSync(readFileSync(path));
  } catch (error) {
    throw new ConfigError(`${path}: not a gzip-compressed IDX file (${(error as Error).message})`);
  }
  const found = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  if (found !== magic)
    throw new ConfigError(`${path}: IDX magic number is 0x${found.toString(16)}, expected 0x${magic.toString(16)}`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== expected) {
    throw new ConfigError(
      `${path}: truncated IDX file: dimensions [${dims.join(', ')}] need ${expected} bytes of data, found ${bytes.length - offset}`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, expected) };
}

/**
 * Fashion-MNIST (Xiao et al., 2017): 70,000 28x28 grayscale images of 10 clothing classes, 60,000 train and
 * 10,000 test (official split). Read from Debian's dataset-fashion-mnist package when installed, else
 * downloaded. Gray levels are repeated into RGB. `classes` keeps some classes, relabelled 0..k-1 in the given order.
 */
export const fashionMnist = definePlugin({
  family: 'dataset',
  meta: {
    name: 'fashion-mnist',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Fashion-MNIST: 28x28 grayscale clothing images, 10 classes, 60,000/10,000.',
  },
  configSchema: z
    .object({
      /** Keep these classes only, relabelled 0..k-1 in this order. */
      classes: z.array(z.number().int().min(0).max(9)).min(2).optional(),
      /** A folder holding the four .gz files (default: Debian's package, else paretune's download). */
      dir: z.string().min(1).optional(),
    })
    .strict(),
  describe: ({ classes }) => ({
    numClasses: classes?.length ?? 10,
    classNames: (classes ?? CLASS_NAMES.map((_, i) => i)).map((c) => CLASS_NAMES[c] as string),
    splits: ['train', 'test'],
    nativeResolution: 28,
  }),
  availability({ dir }, files: DatasetFiles) {
    const names = Object.values(FILES).flatMap((f) => [f.images, f.labels]);
    const paths = names.map((n) =>
      (dir !== undefined ? [join(dir, n)] : [join(DEBIAN_DIR, n), join(files.dir, n)]).find((p) => exists(p)),
    );
    const present = paths.every((p) => p !== undefined);
    return present
      ? {
          present,
          bytes: paths.reduce((s, p) => s + statSync(p as string).size, 0),
          detail: `${(paths[0] as string).replace(/\/[^/]+$/, '')}`,
        }
      : { present, detail: `missing; install dataset-fashion-mnist or let paretune download it into ${files.dir}` };
  },
  async open(split, { classes, dir }, { imageSize, files }) {
    const names = FILES[split as keyof typeof FILES];
    if (names === undefined) throw new ConfigError(`fashion-mnist has no split '${split}' (splits: train, test)`);
    const imagesFile = await files.fetch(source(names.images, dir));
    const labelsFile = await files.fetch(source(names.labels, dir));
    const images = readIdx(imagesFile, 0x803);
    const labels = readIdx(labelsFile, 0x801);
    const [count, height, width] = images.dims as [number, number, number];
    if (labels.dims[0] !== count)
      throw new ConfigError(`fashion-mnist ${split}: ${count} images but ${labels.dims[0]} labels`);
    const bad = labels.data.findIndex((label) => label >= CLASS_NAMES.length);
    if (bad >= 0) {
      throw new ConfigError(
        `${labelsFile}: label ${labels.data[bad]} at index ${bad} is not a class (expected 0 to ${CLASS_NAMES.length - 1})`,
      );
    }
    const keep = classes === undefined ? undefined : new Map(classes.map((c, i) => [c, i]));
    const selected = Array.from({ length: count }, (_, i) => i).filter(
      (i) => keep === undefined || keep.has(labels.data[i] as number),
    );
    const size = height * width;
    const rgb = new Uint8Array(selected.length * size * 3);
    selected.forEach((i, k) => {
      for (let p = 0; p < size; p++)
        rgb.fill(images.data[i * size + p] as number, (k * size + p) * 3, (k * size + p) * 3 + 3);
    });
    const relabelled = Int32Array.from(selected, (i) =>
      keep === undefined ? (labels.data[i] as number) : (keep.get(labels.data[i] as number) as number),
    );
    return {
      ...memorySplit({ pixels: rgb, labels: relabelled, height, width }, imageSize, files),
      source: `${imagesFile}, ${labelsFile}`,
    };
  },
});

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
