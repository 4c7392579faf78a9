import { join } from 'node:path';
import { CUB200_CLASSES } from '../../src/plugins/datasets/cub200-classes.js';
import { packTar, solidJpeg } from './archives.js';

/** One image of a CUB-200-2011 fixture: its 1-based id and class, and `train` 1 or 0 as in train_test_split.txt. */
export interface CubImage {
  readonly id: number;
  readonly cls: number;
  readonly train: 0 | 1;
  /** Written as a one-channel JPEG, as a few of the real images are. */
  readonly grayscale?: boolean;
}

/**
 * `datasets/cub200/CUB_200_2011.tgz` under `dataDir` in the real layout: the four list files, the images under
 * `images/<class folder>/` (red channel 40 x id) and a stray file at the archive root, as in the real archive.
 */
export async function cub200Archive(dataDir: string, images: readonly CubImage[]): Promise<void> {
  const lines = (line: (m: CubImage) => string): string => images.map(line).join('\n') + '\n';
  const files: Record<string, Buffer | string> = {
    'CUB_200_2011/classes.txt': CUB200_CLASSES.map((c, i) => `${i + 1} ${c}`).join('\n') + '\n',
    'CUB_200_2011/images.txt': lines((m) => `${m.id} ${CUB200_CLASSES[m.cls - 1]}/bird_${m.id}.jpg`),
    'CUB_200_2011/image_class_labels.txt': lines((m) => `${m.id} ${m.cls}`),
    'CUB_200_2011/train_test_split.txt': lines((m) => `${m.id} ${m.train}`),
    'attributes.txt': 'stray file at the archive root, as in the real archive\n',
  };
  for (const m of images)
    files[`CUB_200_2011/images/${CUB200_CLASSES[m.cls - 1]}/bird_${m.id}.jpg`] = await solidJpeg(
      m.id * 40,
      m.grayscale,
    );
  await packTar(join(dataDir, 'datasets', 'cub200', 'CUB_200_2011.tgz'), files, true);
}

/**
 * `datasets/caltech256/256_ObjectCategories.tar` under `dataDir` (a plain tar, as published): for each class folder
 * (`001.ak47`, ...) one JPEG per red value, named `<NNN>_<NNNN>.jpg`, and the stray `198.spider/RENAME2` file of the
 * real archive.
 */
export async function caltech256Archive(dataDir: string, folders: Record<string, readonly number[]>): Promise<void> {
  const files: Record<string, Buffer | string> = { '256_ObjectCategories/198.spider/RENAME2': 'stray non-image file' };
  for (const [folder, reds] of Object.entries(folders)) {
    for (const [i, red] of reds.entries()) {
      const name = `${folder.slice(0, 3)}_${String(i + 1).padStart(4, '0')}.jpg`;
      files[`256_ObjectCategories/${folder}/${name}`] = await solidJpeg(red);
    }
  }
  await packTar(join(dataDir, 'datasets', 'caltech256', '256_ObjectCategories.tar'), files, false);
}
