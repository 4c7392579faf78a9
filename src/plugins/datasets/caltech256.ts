import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { FileSource } from '../../core/contracts/index.js';
import { Rng } from '../../core/tensor/index.js';
import { CALTECH256_CLASSES } from './caltech256-classes.js';
import { archiveAvailability, tarImageSplit, listTar } from './tar-images.js';

const SOURCE: FileSource = {
  name: '256_ObjectCategories.tar',
  urls: ['https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar'],
  md5: '67b4f42ca05d46448c6bb8ecd2220f6d',
  hint: 'the archive from https://data.caltech.edu/records/nyy15-4j048',
};

/**
 * Caltech-256 (Griffin et al., 2007): 30,607 photos of 256 object classes plus a clutter class, in folders
 * `NNN.name`; label = NNN - 1 (0..256; the source numbers classes 1..257). It has no official split: the test
 * split is a stratified `testFraction` of each class drawn with `splitSeed` (fixed across runs and strategies,
 * so every run of a study is measured on the same test images). Only *.jpg files are images; others are ignored.
 */
export const caltech256 = definePlugin({
  family: 'dataset',
  meta: { name: 'caltech256', version: '0.1.0', apiVersion: 1, description: 'Caltech-256: 256 object classes plus clutter, seeded stratified split.' },
  configSchema: z
    .object({
      testFraction: z.number().gt(0).lt(1).default(0.1),
      splitSeed: z.number().int().default(0),
      clutter: z.boolean().default(true),
    })
    .strict(),
  describe: ({ clutter }) => {
    const classNames = (clutter ? CALTECH256_CLASSES : CALTECH256_CLASSES.slice(0, 256)).map((c) => c.slice(4));
    return { numClasses: classNames.length, classNames, splits: ['train', 'test'] };
  },
  availability: (_config, files) => archiveAvailability(SOURCE, files),
  async open(split, { testFraction, splitSeed, clutter }, { imageSize, files }) {
    if (split !== 'train' && split !== 'test') throw new ConfigError(`caltech256 has no split '${split}' (splits: train, test)`);
    const archive = await files.fetch(SOURCE);
    const byClass = new Map<number, string[]>();
    for (const path of await listTar(files, archive)) {
      const match = /(?:^|\/)(\d{3})\.([^/]+)\/[^/]+\.jpg$/i.exec(path);
      if (match === null) continue;
      const label = Number(match[1]) - 1;
      if (CALTECH256_CLASSES[label] !== `${match[1]}.${match[2]}`) throw new ConfigError(`${archive}: unexpected class folder '${match[1]}.${match[2]}' (${path})`);
      if (label === 256 && !clutter) continue;
      byClass.set(label, [...(byClass.get(label) ?? []), path]);
    }
    if (byClass.size === 0) throw new ConfigError(`${archive}: no NNN.name/*.jpg images found; is it 256_ObjectCategories.tar?`);
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
