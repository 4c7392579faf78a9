import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { DatasetFiles, FileSource } from '../../core/contracts/index.js';
import { matNumbers, matStrings, readMat } from './shared/mat.js';
import { hfAvailability, hfImageSplit, labelMapper, sourceOption } from './shared/hf-parquet.js';
import { tarImageSplit } from './shared/tar-images.js';

const PAGE = 'http://vision.stanford.edu/aditya86/ImageNetDogs';
const HINT = `download images.tar and lists.tar from ${PAGE}/ (Stanford Dogs, Khosla et al. 2011); no checksum is published`;
/** The canonical archives. No checksum is published for them, so none is checked. */
const SOURCES: Readonly<Record<'images' | 'lists', FileSource>> = {
  images: { name: 'images.tar', urls: [`${PAGE}/images.tar`], hint: HINT },
  lists: { name: 'lists.tar', urls: [`${PAGE}/lists.tar`], hint: HINT },
};

/**
 * The 120 synset folders of images.tar (`Images/<synset>/`), sorted: label `i` of the loader (label `i + 1` in the
 * .mat lists) is folder `i`. Fixed here so that `describe()` needs no download; `open()` checks every list entry against it.
 */
export const STANFORD_DOGS_SYNSETS: readonly string[] = (
  'n02085620-Chihuahua n02085782-Japanese_spaniel n02085936-Maltese_dog n02086079-Pekinese n02086240-Shih-Tzu ' +
  'n02086646-Blenheim_spaniel n02086910-papillon n02087046-toy_terrier n02087394-Rhodesian_ridgeback n02088094-Afghan_hound ' +
  'n02088238-basset n02088364-beagle n02088466-bloodhound n02088632-bluetick n02089078-black-and-tan_coonhound ' +
  'n02089867-Walker_hound n02089973-English_foxhound n02090379-redbone n02090622-borzoi n02090721-Irish_wolfhound ' +
  'n02091032-Italian_greyhound n02091134-whippet n02091244-Ibizan_hound n02091467-Norwegian_elkhound n02091635-otterhound ' +
  'n02091831-Saluki n02092002-Scottish_deerhound n02092339-Weimaraner n02093256-Staffordshire_bullterrier ' +
  'n02093428-American_Staffordshire_terrier n02093647-Bedlington_terrier n02093754-Border_terrier n02093859-Kerry_blue_terrier ' +
  'n02093991-Irish_terrier n02094114-Norfolk_terrier n02094258-Norwich_terrier n02094433-Yorkshire_terrier ' +
  'n02095314-wire-haired_fox_terrier n02095570-Lakeland_terrier n02095889-Sealyham_terrier n02096051-Airedale n02096177-cairn ' +
  'n02096294-Australian_terrier n02096437-Dandie_Dinmont n02096585-Boston_bull n02097047-miniature_schnauzer ' +
  'n02097130-giant_schnauzer n02097209-standard_schnauzer n02097298-Scotch_terrier n02097474-Tibetan_terrier ' +
  'n02097658-silky_terrier n02098105-soft-coated_wheaten_terrier n02098286-West_Highland_white_terrier n02098413-Lhasa ' +
  'n02099267-flat-coated_retriever n02099429-curly-coated_retriever n02099601-golden_retriever n02099712-Labrador_retriever ' +
  'n02099849-Chesapeake_Bay_retriever n02100236-German_short-haired_pointer n02100583-vizsla n02100735-English_setter ' +
  'n02100877-Irish_setter n02101006-Gordon_setter n02101388-Brittany_spaniel n02101556-clumber n02102040-English_springer ' +
  'n02102177-Welsh_springer_spaniel n02102318-cocker_spaniel n02102480-Sussex_spaniel n02102973-Irish_water_spaniel ' +
  'n02104029-kuvasz n02104365-schipperke n02105056-groenendael n02105162-malinois n02105251-briard n02105412-kelpie ' +
  'n02105505-komondor n02105641-Old_English_sheepdog n02105855-Shetland_sheepdog n02106030-collie n02106166-Border_collie ' +
  'n02106382-Bouvier_des_Flandres n02106550-Rottweiler n02106662-German_shepherd n02107142-Doberman ' +
  'n02107312-miniature_pinscher n02107574-Greater_Swiss_Mountain_dog n02107683-Bernese_mountain_dog n02107908-Appenzeller ' +
  'n02108000-EntleBucher n02108089-boxer n02108422-bull_mastiff n02108551-Tibetan_mastiff n02108915-French_bulldog ' +
  'n02109047-Great_Dane n02109525-Saint_Bernard n02109961-Eskimo_dog n02110063-malamute n02110185-Siberian_husky ' +
  'n02110627-affenpinscher n02110806-basenji n02110958-pug n02111129-Leonberg n02111277-Newfoundland n02111500-Great_Pyrenees ' +
  'n02111889-Samoyed n02112018-Pomeranian n02112137-chow n02112350-keeshond n02112706-Brabancon_griffon n02113023-Pembroke ' +
  'n02113186-Cardigan n02113624-toy_poodle n02113712-miniature_poodle n02113799-standard_poodle n02113978-Mexican_hairless ' +
  'n02115641-dingo n02115913-dhole n02116738-African_hunting_dog'
).split(' ');

/** Class names: the part of each synset folder after the first '-', underscores as spaces ('Shih-Tzu', 'Japanese spaniel'). */
const CLASS_NAMES = STANFORD_DOGS_SYNSETS.map((s) => s.slice(s.indexOf('-') + 1).replace(/_/g, ' '));

const HF_REPO = 'amaye15/stanford-dogs';
const HF_FILES: Readonly<Record<'train' | 'test', readonly string[]>> = {
  train: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'],
  test: ['data/test-00000-of-00001.parquet'],
};
/** Recorded with every run from the HF copy, whose split is not the official one. */
const HF_SPLIT_NOTE =
  "the HF copy's own split, about 14.4k train / 6.2k test, NOT the official 12,000 / 8,580 split of train_list.mat / test_list.mat";

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
/** A split's list (`train_list.mat` or `test_list.mat` in lists.tar): image paths under Images/ and 0-based labels. */
async function readList(
  files: DatasetFiles,
  lists: string,
  split: 'train' | 'test',
): Promise<{ paths: string[]; labels: Int32Array }> {
  const name = `${split}_list.mat`;
  let bytes: Buffer | undefined;
  await files.readTar(
    lists,
    (entry) => void (bytes = entry.bytes),
    (path) => baseName(path) === name,
  );
  if (bytes === undefined)
    throw new ConfigError(`${lists}: no ${name} inside; the archive is incomplete or not Stanford Dogs' lists.tar`);
  const origin = `${name} in ${lists}`;
  const vars = readMat(bytes, origin);
  const paths = matStrings(vars, 'file_list', origin).map((p) => p.replace(/\\/g, '/'));
  const raw = matNumbers(vars, 'labels', origin);
  if (raw.length !== paths.length)
    throw new ConfigError(`${origin}: ${paths.length} entries in file_list but ${raw.length} labels`);
  const seen = new Set<string>();
  const labels = Int32Array.from(paths, (path, i) => {
    const label = raw[i] as number;
    const synset = STANFORD_DOGS_SYNSETS[label - 1];
    if (!Number.isInteger(label) || synset === undefined)
      throw new ConfigError(`${origin}: ${path} has label ${label}, expected a whole number 1..120`);
    const parts = path.split('/');
    if (parts.length !== 2 || parts[0] !== synset)
      throw new ConfigError(`${origin}: ${path} has label ${label} (${synset}), which disagrees with its folder`);
    if (seen.has(path)) throw new ConfigError(`${origin}: ${path} is listed twice`);
    seen.add(path);
    return label - 1;
  });
  return { paths, labels };
}

/**
 * Stanford Dogs (Khosla et al., 2011): 20,580 photos of 120 breeds (ImageNet synsets), official split 12,000 train
 * (100 a class) / 8,580 test from lists.tar's train_list.mat / test_list.mat, images from images.tar. Images are
 * decoded once to `imageSize` (bilinear, aspect ratio not kept) and cached on disk. With `source: 'hf'`, the
 * Hugging Face parquet copy `amaye15/stanford-dogs` (image column `pixel_values`), whose split differs from the
 * official one (recorded in the split's `source`); its ClassLabel names are matched to the synset order by breed name.
 */
export const stanfordDogs = definePlugin({
  family: 'dataset',
  meta: {
    name: 'stanford-dogs',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Stanford Dogs: 120 dog breeds, 12,000/8,580 (official split), from images.tar and lists.tar.',
  },
  configSchema: z.object({ source: sourceOption }).strict(),
  describe: () => ({ numClasses: 120, classNames: CLASS_NAMES, splits: ['train', 'test'] }),
  availability: ({ source }, files) => {
    if (source === 'hf') return hfAvailability(HF_REPO, [...HF_FILES.train, ...HF_FILES.test], files);
    const paths = [SOURCES.images, SOURCES.lists].map((s) => join(files.dir, s.name));
    const missing = paths.filter((p) => !existsSync(p));
    return missing.length === 0
      ? { present: true, bytes: paths.reduce((n, p) => n + statSync(p).size, 0), detail: files.dir }
      : {
          present: false,
          detail: `not downloaded yet (${missing.map((p) => baseName(p)).join(', ')} from ${PAGE}/ into ${files.dir})`,
        };
  },
  async open(split, { source: from }, { imageSize, files, signal }) {
    if (split !== 'train' && split !== 'test')
      throw new ConfigError(`stanford-dogs has no split '${split}' (splits: train, test)`);
    if (from === 'hf') {
      return hfImageSplit(files, {
        repo: HF_REPO,
        paths: HF_FILES[split],
        imageColumn: 'pixel_values',
        columns: ['label'],
        select: (info) => {
          const label = labelMapper(info, 'label', STANFORD_DOGS_SYNSETS);
          return (row, index) => label(row['label'], index);
        },
        size: imageSize,
        selection: 'label',
        note: HF_SPLIT_NOTE,
        signal,
      });
    }
    const images = await files.fetch(SOURCES.images);
    const lists = await files.fetch(SOURCES.lists);
    const list = await readList(files, lists, split);
    const members = list.paths.map((path, i) => ({ path: `Images/${path}`, label: list.labels[i] as number }));
    return {
      ...(await tarImageSplit(files, images, members, imageSize, signal)),
      source: `${images} (${split}_list.mat in ${lists})`,
    };
  },
});
