import { ConfigError, definePlugin, memorySplit, z } from '../../core/contracts/index.js';
import type { DatasetFiles, FileSource } from '../../core/contracts/index.js';
import { hfAvailability, hfImageSplit, labelMapper, resizedSplit, sourceOption } from './shared/hf-parquet.js';
import { archiveAvailability } from './shared/tar-images.js';

/** One CIFAR variant: its archive, its record layout and where each split's records are. */
interface CifarFormat {
  readonly source: FileSource;
  /** Label bytes before the 3,072 pixel bytes of a record: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
  readonly labelBytes: 1 | 2;
  readonly splits: Readonly<Record<'train' | 'test', readonly string[]>>;
}

const PIXELS = 32 * 32 * 3;

const CIFAR10: CifarFormat = {
  source: {
    name: 'cifar-10-binary.tar.gz',
    urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    hint: 'the binary version from https://www.cs.toronto.edu/~kriz/cifar.html',
  },
  labelBytes: 1,
  splits: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
};

const CIFAR100: CifarFormat = {
  source: {
    name: 'cifar-100-binary.tar.gz',
    urls: ['https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'],
    hint: 'the binary version from https://www.cs.toronto.edu/~kriz/cifar.html',
  },
  labelBytes: 2,
  splits: { train: ['train.bin'], test: ['test.bin'] },
};

/** Reads the wanted members of a CIFAR archive (found by base name, whatever folder they sit in). */
async function readMembers(
  files: DatasetFiles,
  archive: string,
  wanted: readonly string[],
): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
  await files.readTar(
    archive,
    (entry) => void found.set(baseName(entry.path), entry.bytes),
    (path) => wanted.includes(baseName(path)),
  );
  const missing = wanted.filter((w) => !found.has(w));
  if (missing.length > 0)
    throw new ConfigError(
      `${archive}: missing ${missing.join(', ')}; the archive is incomplete or not the binary version`,
    );
  return found;
}

/** Records `<label bytes><1024 R><1024 G><1024 B>` (planar, row-major) into HWC pixels and labels. */
function parseRecords(
  batches: readonly { name: string; bytes: Buffer }[],
  labelBytes: 1 | 2,
  labelIndex: 0 | 1,
): { pixels: Uint8Array; labels: Int32Array } {
  const recordSize = labelBytes + PIXELS;
  for (const { name, bytes } of batches) {
    if (bytes.length % recordSize !== 0) {
      throw new ConfigError(
        `${name}: truncated CIFAR batch: ${bytes.length} bytes is not a whole number of ${recordSize}-byte records`,
      );
    }
  }
  const count = batches.reduce((n, b) => n + b.bytes.length / recordSize, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  let i = 0;
  for (const { bytes } of batches) {
    for (let offset = 0; offset < bytes.length; offset += recordSize, i++) {
      labels[i] = bytes[offset + labelIndex] as number;
      const planes = offset + labelBytes;
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) pixels[i * PIXELS + p * 3 + c] = bytes[planes + c * 1024 + p] as number;
      }
    }
  }
  return { pixels, labels };
}

async function openCifar(
  format: CifarFormat,
  split: string,
  labels: 'fine' | 'coarse',
  imageSize: number,
  files: DatasetFiles,
) {
  if (split !== 'train' && split !== 'test') throw new ConfigError(`no split '${split}' (splits: train, test)`);
  const archive = await files.fetch(format.source);
  const batchNames = format.splits[split];
  const members = await readMembers(files, archive, batchNames);
  const batches = batchNames.map((name) => ({ name, bytes: members.get(name) as Buffer }));
  const images = parseRecords(batches, format.labelBytes, format.labelBytes === 2 && labels === 'fine' ? 1 : 0);
  return {
    ...memorySplit({ ...images, height: 32, width: 32 }, imageSize, files),
    source: `${archive}: ${batchNames.join(', ')}`,
  };
}

/** An HF parquet copy of a CIFAR variant: repository and the file of each split. */
interface CifarHf {
  readonly repo: string;
  readonly files: Readonly<Record<'train' | 'test', string>>;
}

const CIFAR10_HF: CifarHf = {
  repo: 'uoft-cs/cifar10',
  files: { train: 'plain_text/train-00000-of-00001.parquet', test: 'plain_text/test-00000-of-00001.parquet' },
};
/** Config `cifar100`; these paths follow the repository's config name and were not checked against the hub. */
const CIFAR100_HF: CifarHf = {
  repo: 'uoft-cs/cifar100',
  files: { train: 'cifar100/train-00000-of-00001.parquet', test: 'cifar100/test-00000-of-00001.parquet' },
};

/**
 * A CIFAR split from its HF parquet copy: 32x32 PNGs in column `img`, decoded once and cached at 32x32, then
 * resized to `imageSize` as batches are read (as for the binary version). Labels are matched to the binary
 * version's order by ClassLabel name.
 */
function openCifarHf(
  hf: CifarHf,
  split: string,
  column: string,
  classNames: readonly string[],
  imageSize: number,
  files: DatasetFiles,
) {
  if (split !== 'train' && split !== 'test') throw new ConfigError(`no split '${split}' (splits: train, test)`);
  return hfImageSplit(files, {
    repo: hf.repo,
    paths: [hf.files[split]],
    imageColumn: 'img',
    columns: [column],
    select: (info) => {
      const label = labelMapper(info, column, classNames);
      return (row, index) => label(row[column], index);
    },
    size: 32,
    selection: column,
  }).then((images) => resizedSplit(images, 32, imageSize, files));
}

/** Class names in label order, as in the archives' batches.meta.txt and *_label_names.txt. */
const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR100_FINE = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle caterpillar ' +
  'cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl ' +
  'hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom ' +
  'oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road ' +
  'rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank ' +
  'telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
).split(' ');
const CIFAR100_COARSE = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture insects ' +
  'large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores medium_mammals ' +
  'non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2'
).split(' ');

/**
 * CIFAR-10 (Krizhevsky, 2009), the binary version: 32x32 colour images, 10 classes, 50,000/10,000. With
 * `source: 'hf'`, the Hugging Face parquet copy `uoft-cs/cifar10` (same images and split).
 */
export const cifar10 = definePlugin({
  family: 'dataset',
  meta: {
    name: 'cifar10',
    version: '0.1.0',
    apiVersion: 1,
    description: 'CIFAR-10: 32x32 colour images, 10 classes, 50,000/10,000 (official split).',
  },
  configSchema: z.object({ source: sourceOption }).strict(),
  describe: () => ({ numClasses: 10, classNames: CIFAR10_CLASSES, splits: ['train', 'test'], nativeResolution: 32 }),
  availability: ({ source }, files) =>
    source === 'hf'
      ? hfAvailability(CIFAR10_HF.repo, Object.values(CIFAR10_HF.files), files)
      : archiveAvailability(CIFAR10.source, files),
  open: (split, { source }, { imageSize, files }) =>
    source === 'hf'
      ? openCifarHf(CIFAR10_HF, split, 'label', CIFAR10_CLASSES, imageSize, files)
      : openCifar(CIFAR10, split, 'fine', imageSize, files),
});

/**
 * CIFAR-100 (Krizhevsky, 2009), the binary version: 100 fine labels (default) or 20 coarse ones, 50,000/10,000.
 * With `source: 'hf'`, the Hugging Face parquet copy `uoft-cs/cifar100` (columns `fine_label` / `coarse_label`).
 */
export const cifar100 = definePlugin({
  family: 'dataset',
  meta: {
    name: 'cifar100',
    version: '0.1.0',
    apiVersion: 1,
    description: 'CIFAR-100: 32x32 colour images, 100 fine (or 20 coarse) classes, 50,000/10,000.',
  },
  configSchema: z.object({ labels: z.enum(['fine', 'coarse']).default('fine'), source: sourceOption }).strict(),
  describe: ({ labels }) => ({
    numClasses: labels === 'fine' ? 100 : 20,
    classNames: labels === 'fine' ? CIFAR100_FINE : CIFAR100_COARSE,
    splits: ['train', 'test'],
    nativeResolution: 32,
  }),
  availability: ({ source }, files) =>
    source === 'hf'
      ? hfAvailability(CIFAR100_HF.repo, Object.values(CIFAR100_HF.files), files)
      : archiveAvailability(CIFAR100.source, files),
  open: (split, { labels, source }, { imageSize, files }) =>
    source === 'hf'
      ? openCifarHf(
          CIFAR100_HF,
          split,
          `${labels}_label`,
          labels === 'fine' ? CIFAR100_FINE : CIFAR100_COARSE,
          imageSize,
          files,
        )
      : openCifar(CIFAR100, split, labels, imageSize, files),
});
