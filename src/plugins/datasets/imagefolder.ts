import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { DatasetSplit } from '../../core/contracts/index.js';

const IMAGE = /\.(jpe?g|png|webp|tiff?|gif|bmp)$/i;
const SPLITS = ['train', 'test', 'all'];
/** The cached label of a listed file that does not decode: the cache keeps its empty slot, the split leaves it out. */
const UNDECODABLE = -1;

interface Listing {
  readonly classNames: string[];
  readonly files: { path: string; label: number }[];
}

const subfolders = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();

/** Images of `dir/<class>/...`, labelled by the position of their class folder in `classNames`. */
function listImages(dir: string, classNames: readonly string[]): { path: string; label: number }[] {
  return classNames.flatMap((name, label) => {
    const classDir = join(dir, name);
    if (!existsSync(classDir)) return [];
    return readdirSync(classDir)
      .filter((f) => IMAGE.test(f))
      .sort()
      .map((f) => ({ path: join(classDir, f), label }));
  });
}

/** Warns once for each class folder holding a single image: it trains and scores on one example. */
function warnSingleImageClasses(images: Listing['files']): void {
  const counts = new Map<string, number>();
  for (const { path } of images) counts.set(dirname(path), (counts.get(dirname(path)) ?? 0) + 1);
  for (const [folder, count] of counts) {
    if (count !== 1) continue;
    const message =
      `imagefolder: class folder ${folder} has a single image; ` +
      `its class is learnt and measured from that one image`;
    process.emitWarning(message, { type: 'DatasetWarning', code: 'PARETUNE_DATASET_SINGLE_IMAGE_CLASS' });
  }
}

/**
 * The cached split without the listed files that did not decode (`strict: false`), with one warning naming them;
 * positions in the returned split index the decodable images only.
 */
function withoutUndecodable(
  images: DatasetSplit,
  listed: Listing['files'],
  where: string,
  source: string,
): DatasetSplit {
  const kept = listed.flatMap((_, i) => (images.labels[i] === UNDECODABLE ? [] : [i]));
  if (kept.length === listed.length) return { ...images, source };
  const skipped = listed.filter((_, i) => images.labels[i] === UNDECODABLE).map((f) => f.path);
  if (kept.length === 0) {
    throw new ConfigError(
      `imagefolder: none of the ${listed.length} images in the ${where} decodes ` + `(e.g. ${skipped[0]})`,
    );
  }
  const named = skipped.slice(0, 5).join(', ') + (skipped.length > 5 ? ` and ${skipped.length - 5} more` : '');
  const message = `imagefolder: skipped ${skipped.length} of the ${listed.length} images in the ${where} that do not decode`;
  process.emitWarning(`${message}: ${named}`, { type: 'DatasetWarning', code: 'PARETUNE_DATASET_SKIPPED_IMAGES' });
  return {
    size: kept.length,
    labels: Int32Array.from(kept, (i) => images.labels[i] as number),
    async read(indices) {
      const positions = Array.from(indices, (k) => {
        const i = kept[k];
        if (i === undefined) throw new RangeError(`image index ${k} is outside the split (0..${kept.length - 1})`);
        return i;
      });
      return images.read(positions);
    },
    source,
    skipped: skipped.length,
  };
}

/** The layout: `root/train/<class>/` and `root/test/<class>/`, or `root/<class>/` split by the seed. */
function layout(root: string): { classNames: string[]; presplit: boolean } {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new ConfigError(`imagefolder: '${root}' is not a folder`);
  const presplit = existsSync(join(root, 'train')) && existsSync(join(root, 'test'));
  const classNames = subfolders(presplit ? join(root, 'train') : root);
  if (classNames.length < 2)
    throw new ConfigError(
      `imagefolder: '${presplit ? join(root, 'train') : root}' needs at least two class folders, found ${classNames.length}`,
    );
  if (presplit) {
    const extra = subfolders(join(root, 'test')).filter((c) => !classNames.includes(c));
    if (extra.length > 0)
      throw new ConfigError(
        `imagefolder: test classes ${extra.join(', ')} have no folder under ${join(root, 'train')}`,
      );
  }
  return { classNames, presplit };
}

/**
 * Your own images: a folder of class subfolders (labels in sorted folder-name order, as torchvision's ImageFolder).
 * With `train/` and `test/` subfolders those are the splits; otherwise a seeded stratified `testFraction` of each
 * class is the test split; `all` is every image (what `paretune evaluate` measures by default). Images are decoded
 * and resized once, then cached on disk. A listed file that does not decode is left out with a warning naming it (and
 * counted in the split's `skipped`); with `strict: true` it is an error instead.
 */
export const imageFolder = definePlugin({
  family: 'dataset',
  meta: {
    name: 'imagefolder',
    version: '0.1.0',
    apiVersion: 1,
    description: 'A folder of class subfolders of images (your own data).',
  },
  configSchema: z
    .object({
      path: z.string().min(1),
      testFraction: z.number().gt(0).lt(1).default(0.2),
      /** A listed file that does not decode is an error, not a skipped file. */
      strict: z.boolean().default(false),
    })
    .strict(),
  describe: ({ path }) => {
    const { classNames } = layout(resolve(path));
    return { numClasses: classNames.length, classNames, splits: SPLITS };
  },
  availability: ({ path }) => {
    try {
      const { classNames, presplit } = layout(resolve(path));
      const images = presplit
        ? [...listImages(join(path, 'train'), classNames), ...listImages(join(path, 'test'), classNames)]
        : listImages(path, classNames);
      return {
        present: true,
        bytes: images.reduce((n, f) => n + statSync(f.path).size, 0),
        detail: `${resolve(path)}: ${images.length} images, ${classNames.length} classes`,
      };
    } catch (error) {
      return { present: false, detail: (error as Error).message };
    }
  },
  async open(split, { path, testFraction, strict }, { imageSize, files, rng }) {
    if (!SPLITS.includes(split)) {
      throw new ConfigError(`imagefolder has no split '${split}' (splits: ${SPLITS.join(', ')})`);
    }
    const root = resolve(path);
    const { classNames, presplit } = layout(root);
    let chosen: Listing['files'];
    if (split === 'all') {
      chosen = presplit
        ? [...listImages(join(root, 'train'), classNames), ...listImages(join(root, 'test'), classNames)]
        : listImages(root, classNames);
    } else if (presplit) chosen = listImages(join(root, split), classNames);
    else {
      // A pure fork of the seed: the train and test calls cut the same split.
      const splitRng = rng.fork('imagefolder/split');
      chosen = [];
      for (let label = 0; label < classNames.length; label++) {
        const members = splitRng.shuffle(listImages(root, classNames).filter((f) => f.label === label));
        const cut = Math.round(members.length * testFraction);
        chosen.push(...(split === 'test' ? members.slice(0, cut) : members.slice(cut)));
      }
      chosen.sort((a, b) => (a.path < b.path ? -1 : 1));
    }
    if (chosen.length === 0) throw new ConfigError(`imagefolder: no images in the ${split} split of ${root}`);
    // A seeded test split lists the same class folders as its train split, whose open already warned.
    if (presplit || split !== 'test') warnSingleImageClasses(presplit ? chosen : listImages(root, classNames));
    const stamps = chosen.map((f) => [f.path, statSync(f.path).size, Math.round(statSync(f.path).mtimeMs)]);
    const key = JSON.stringify({ root, split, imageSize, testFraction, strict, files: stamps });
    const images = await files.cachedImages(key, { count: chosen.length, size: imageSize }, async (write) => {
      const labels = Int32Array.from(chosen, (f) => f.label);
      for (const [i, file] of chosen.entries()) {
        try {
          write(i, await files.decodeImage(readFileSync(file.path), imageSize, file.path));
        } catch (error) {
          if (strict) throw error;
          labels[i] = UNDECODABLE;
        }
      }
      return labels;
    });
    const source =
      split === 'all'
        ? `${root} (every image${presplit ? ' of train and test' : ''})`
        : presplit
          ? join(root, split)
          : `${root} (seeded split: testFraction ${testFraction})`;
    return withoutUndecodable(images, chosen, `${split} split of ${root}`, source);
  },
});
