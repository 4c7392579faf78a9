import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';

const IMAGE = /\.(jpe?g|png|webp|tiff?|gif|bmp)$/i;

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

/** The layout: `root/train/<class>/` and `root/test/<class>/`, or `root/<class>/` split by the seed. */
function layout(root: string): { classNames: string[]; presplit: boolean } {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ConfigError(`imagefolder: '${root}' is not a folder`);
  const presplit = existsSync(join(root, 'train')) && existsSync(join(root, 'test'));
  const classNames = subfolders(presplit ? join(root, 'train') : root);
  if (classNames.length < 2) throw new ConfigError(`imagefolder: '${presplit ? join(root, 'train') : root}' needs at least two class folders, found ${classNames.length}`);
  if (presplit) {
    const extra = subfolders(join(root, 'test')).filter((c) => !classNames.includes(c));
    if (extra.length > 0) throw new ConfigError(`imagefolder: test classes ${extra.join(', ')} have no folder under ${join(root, 'train')}`);
  }
  return { classNames, presplit };
}

/**
 * Your own images: a folder of class subfolders (labels in sorted folder-name order, as torchvision's ImageFolder).
 * With `train/` and `test/` subfolders those are the splits; otherwise a seeded stratified `testFraction` of each
 * class is the test split. Images are decoded and resized once, then cached on disk.
 */
export const imageFolder = definePlugin({
  family: 'dataset',
  meta: { name: 'imagefolder', version: '0.1.0', apiVersion: 1, description: 'A folder of class subfolders of images (your own data).' },
  configSchema: z.object({ path: z.string().min(1), testFraction: z.number().gt(0).lt(1).default(0.2) }).strict(),
  describe: ({ path }) => {
    const { classNames } = layout(resolve(path));
    return { numClasses: classNames.length, classNames, splits: ['train', 'test'] };
  },
  availability: ({ path }) => {
    try {
      const { classNames, presplit } = layout(resolve(path));
      const images = presplit ? [...listImages(join(path, 'train'), classNames), ...listImages(join(path, 'test'), classNames)] : listImages(path, classNames);
      return { present: true, bytes: images.reduce((n, f) => n + statSync(f.path).size, 0), detail: `${resolve(path)}: ${images.length} images, ${classNames.length} classes` };
    } catch (error) {
      return { present: false, detail: (error as Error).message };
    }
  },
  async open(split, { path, testFraction }, { imageSize, files, rng }) {
    if (split !== 'train' && split !== 'test') throw new ConfigError(`imagefolder has no split '${split}' (splits: train, test)`);
    const root = resolve(path);
    const { classNames, presplit } = layout(root);
    let chosen: Listing['files'];
    if (presplit) chosen = listImages(join(root, split), classNames);
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
    const key = JSON.stringify({ root, split, imageSize, testFraction, files: chosen.map((f) => [f.path, statSync(f.path).size, Math.round(statSync(f.path).mtimeMs)]) });
    const images = await files.cachedImages(key, { count: chosen.length, size: imageSize }, async (write) => {
      for (const [i, file] of chosen.entries()) write(i, await files.decodeImage(readFileSync(file.path), imageSize, file.path));
      return Int32Array.from(chosen, (f) => f.label);
    });
    return { ...images, source: presplit ? join(root, split) : `${root} (seeded split: testFraction ${testFraction})` };
  },
});
