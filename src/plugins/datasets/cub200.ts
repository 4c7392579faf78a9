import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { FileSource } from '../../core/contracts/index.js';
import { CUB200_CLASSES } from './cub200-classes.js';
import { hfAvailability, hfImageSplit, labelMapper, sourceOption } from './shared/hf-parquet.js';
import { archiveAvailability, tarImageSplit, readTarTexts } from './shared/tar-images.js';

const SOURCE: FileSource = {
  name: 'CUB_200_2011.tgz',
  urls: ['https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz'],
  md5: '97eceeb196236b17998738112f37df78',
  hint: 'the archive from https://www.vision.caltech.edu/datasets/cub_200_2011/',
};
const LISTS = ['images.txt', 'image_class_labels.txt', 'train_test_split.txt', 'classes.txt'] as const;

/** `<id> <value>` lines of a CUB list file, by id. */
function idTable(text: string, file: string): Map<number, string> {
  const table = new Map<number, string>();
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    const match = /^(\d+) (.+)$/.exec(line.trim());
    if (match === null) throw new ConfigError(`${file} line ${n + 1}: expected '<id> <value>', got '${line}'`);
    table.set(Number(match[1]), match[2] as string);
  });
  return table;
}

const HF_REPO = 'efekankavalci/CUB_200_2011';
/** The HF copy keeps the official split (5,994 / 5,794 rows). */
const HF_FILES: Readonly<Record<'train' | 'test', readonly string[]>> = {
  train: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'],
  test: ['data/test-00000-of-00002.parquet', 'data/test-00001-of-00002.parquet'],
};

/**
 * CUB-200-2011 (Wah et al., 2011): 11,788 photos of 200 bird species with the official split, 5,994 train and
 * 5,794 test (train_test_split.txt). Labels are class ids - 1; class names are classes.txt's folder names,
 * checked against the archive. With `source: 'hf'`, the Hugging Face parquet copy `efekankavalci/CUB_200_2011`
 * (same split); its `label` is matched to classes.txt's order by ClassLabel name, or taken as class id - 1 when the
 * file carries no names.
 */
export const cub200 = definePlugin({
  family: 'dataset',
  meta: {
    name: 'cub200',
    version: '0.1.0',
    apiVersion: 1,
    description: 'CUB-200-2011: 200 bird species, 5,994/5,794 (official split).',
  },
  configSchema: z.object({ source: sourceOption }).strict(),
  describe: () => ({ numClasses: 200, classNames: CUB200_CLASSES, splits: ['train', 'test'] }),
  availability: ({ source }, files) =>
    source === 'hf'
      ? hfAvailability(HF_REPO, [...HF_FILES.train, ...HF_FILES.test], files)
      : archiveAvailability(SOURCE, files),
  async open(split, { source: from }, { imageSize, files, signal }) {
    if (split !== 'train' && split !== 'test')
      throw new ConfigError(`cub200 has no split '${split}' (splits: train, test)`);
    if (from === 'hf') {
      return hfImageSplit(files, {
        repo: HF_REPO,
        paths: HF_FILES[split],
        imageColumn: 'image',
        columns: ['label'],
        select: (info) => {
          const label = labelMapper(info, 'label', CUB200_CLASSES);
          return (row, index) => label(row['label'], index);
        },
        size: imageSize,
        selection: 'label',
        note: 'official split',
        signal,
      });
    }
    const archive = await files.fetch(SOURCE);
    const texts = await readTarTexts(files, archive, LISTS);
    const [images, labels, splits, classes] = LISTS.map((name) => idTable(texts.get(name)?.text ?? '', name)) as [
      Map<number, string>,
      Map<number, string>,
      Map<number, string>,
      Map<number, string>,
    ];
    if ([...classes.values()].join() !== CUB200_CLASSES.join())
      throw new ConfigError(`${archive}: classes.txt does not list the 200 CUB-200-2011 classes in their usual order`);
    // The images folder sits beside the list files, wherever the archive roots them.
    const root = texts.get('images.txt')?.folder ?? '';
    const wanted = split === 'train' ? '1' : '0';
    const members = [...images]
      .filter(([id]) => splits.get(id) === wanted)
      .map(([id, path]) => {
        const label = Number(labels.get(id)) - 1;
        if (!(label >= 0 && label < 200))
          throw new ConfigError(`image_class_labels.txt: image ${id} has no class id in 1..200`);
        return { path: `${root}images/${path}`, label };
      });
    return {
      ...(await tarImageSplit(files, archive, members, imageSize)),
      source: `${archive} (official train_test_split.txt)`,
    };
  },
});
