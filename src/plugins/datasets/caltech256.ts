import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { DatasetFiles, DatasetSplit, FileSource, ParquetInfo, ParquetRow } from '../../core/contracts/index.js';
import { Rng } from '../../core/tensor/index.js';
import { CALTECH256_CLASSES } from './caltech256-classes.js';
import { hfAvailability, hfImageSplit, matchName, nameIndex, sourceOption } from './shared/hf-parquet.js';
import { archiveAvailability, tarImageSplit, listTar } from './shared/tar-images.js';

const SOURCE: FileSource = {
  name: '256_ObjectCategories.tar',
  urls: ['https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar'],
  md5: '67b4f42ca05d46448c6bb8ecd2220f6d',
  hint: 'the archive from https://data.caltech.edu/records/nyy15-4j048',
};

const HF_REPO = 'ilee0022/Caltech-256';
/** The HF copy's split, 24,791 / 2,755 / 3,061 rows: its train and validation rows make `train`, its test rows `test`. */
const HF_FILES: Readonly<Record<'train' | 'test', readonly string[]>> = {
  train: [
    'data/train-00000-of-00002.parquet',
    'data/train-00001-of-00002.parquet',
    'data/validation-00000-of-00001.parquet',
  ],
  test: ['data/test-00000-of-00001.parquet'],
};

/**
 * Labels of the HF copy, whose `label` column is a plain integer (no ClassLabel names): the class is the one named
 * by the `text` column (matched to the folder names as {@link matchName} does), numbered as the canonical loader
 * numbers folders (0..256). The integer `label` must differ from that by one constant for the whole split (0 when
 * the copy numbers classes from 0, 1 when it keeps the folder numbers), else the row is reported.
 */
function caltechHfLabels(
  clutter: boolean,
): (info: ParquetInfo) => (row: ParquetRow, index: number) => number | undefined {
  const index = nameIndex(CALTECH256_CLASSES);
  let base: number | undefined;
  return (info) => (row, i) => {
    const text = row['text'];
    const label = typeof text === 'string' ? index.get(matchName(text)) : undefined;
    if (label === undefined)
      throw new ConfigError(`${info.path} row ${i}: text ${JSON.stringify(text)} is not a Caltech-256 class`);
    const value = row['label'];
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw new ConfigError(`${info.path} row ${i}: label ${String(value)} is not an integer`);
    base ??= value - label;
    if (value - label !== base) {
      throw new ConfigError(
        `${info.path} row ${i}: label ${value} with text '${text}' (class ${label + 1}) disagrees with the numbering of earlier rows (label = class - 1 + ${base})`,
      );
    }
    return label === 256 && !clutter ? undefined : label;
  };
}

function openCaltechHf(
  split: 'train' | 'test',
  clutter: boolean,
  imageSize: number,
  files: DatasetFiles,
): Promise<DatasetSplit> {
  return hfImageSplit(files, {
    repo: HF_REPO,
    paths: HF_FILES[split],
    imageColumn: 'image',
    columns: ['label', 'text'],
    select: caltechHfLabels(clutter),
    size: imageSize,
    selection: JSON.stringify({ clutter }),
    note:
      split === 'train' ? "the HF copy's fixed split: train + validation rows" : "the HF copy's fixed split: test rows",
  });
}

/**
 * Caltech-256 (Griffin et al., 2007): 30,607 photos of 256 object classes plus a clutter class, in folders
 * `NNN.name`; label = NNN - 1 (0..256; the source numbers classes 1..257). It has no official split: the test
 * split is a stratified `testFraction` of each class drawn with `splitSeed` (fixed across runs and strategies,
 * so every run of a study is measured on the same test images). Only *.jpg files are images; others are ignored.
 * With `source: 'hf'`, the Hugging Face parquet copy `ilee0022/Caltech-256` and its fixed split (train +
 * validation rows are `train`, test rows `test`; `testFraction` and `splitSeed` do not apply).
 */
export const caltech256 = definePlugin({
  family: 'dataset',
  meta: {
    name: 'caltech256',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Caltech-256: 256 object classes plus clutter, seeded stratified split.',
  },
  configSchema: z
    .object({
      testFraction: z.number().gt(0).lt(1).default(0.1),
      splitSeed: z.number().int().default(0),
      clutter: z.boolean().default(true),
      source: sourceOption,
    })
    .strict(),
  describe: ({ clutter }) => {
    const classNames = (clutter ? CALTECH256_CLASSES : CALTECH256_CLASSES.slice(0, 256)).map((c) => c.slice(4));
    return { numClasses: classNames.length, classNames, splits: ['train', 'test'] };
  },
  availability: ({ source }, files) =>
    source === 'hf'
      ? hfAvailability(HF_REPO, [...HF_FILES.train, ...HF_FILES.test], files)
      : archiveAvailability(SOURCE, files),
  async open(split, { testFraction, splitSeed, clutter, source: from }, { imageSize, files }) {
    if (split !== 'train' && split !== 'test')
      throw new ConfigError(`caltech256 has no split '${split}' (splits: train, test)`);
    if (from === 'hf') return openCaltechHf(split, clutter, imageSize, files);
    const archive = await files.fetch(SOURCE);
    const byClass = new Map<number, string[]>();
    for (const path of await listTar(files, archive)) {
      const match = /(?:^|\/)(\d{3})\.([^/]+)\/[^/]+\.jpg$/i.exec(path);
      if (match === null) continue;
      const label = Number(match[1]) - 1;
      if (CALTECH256_CLASSES[label] !== `${match[1]}.${match[2]}`)
        throw new ConfigError(`${archive}: unexpected class folder '${match[1]}.${match[2]}' (${path})`);
      if (label === 256 && !clutter) continue;
      byClass.set(label, [...(byClass.get(label) ?? []), path]);
    }
    if (byClass.size === 0)
      throw new ConfigError(`${archive}: no NNN.name/*.jpg images found; is it 256_ObjectCategories.tar?`);
    const rng = Rng.fromSeed(splitSeed).fork('caltech256/split');
    const members: { path: string; label: number }[] = [];
    for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
      const paths = rng.shuffle((byClass.get(label) as string[]).sort());
      const cut = Math.round(paths.length * testFraction);
      for (const path of split === 'test' ? paths.slice(0, cut) : paths.slice(cut)) members.push({ path, label });
    }
    members.sort((a, b) => (a.path < b.path ? -1 : 1));
    const source = `${archive} (seeded split: splitSeed ${splitSeed}, testFraction ${testFraction})`;
    return { ...(await tarImageSplit(files, archive, members, imageSize)), source };
  },
});
