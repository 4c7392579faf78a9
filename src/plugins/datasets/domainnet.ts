import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { DatasetAvailability, DatasetFiles, FileSource, OpenOptions } from '../../core/contracts/index.js';
import { DOMAINNET_CLASSES } from './domainnet-classes.js';
import { hfAvailability, hfImageSplit, labelMapper, sourceOption } from './shared/hf-parquet.js';

/** The six domains, in the order of the official code (clipart 0 … sketch 5). */
export const DOMAINNET_DOMAINS = ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch'] as const;
type Domain = (typeof DOMAINNET_DOMAINS)[number];
type ListSplit = 'train' | 'test';

const HOST = 'http://csr.bu.edu/ftp/visda/2019/multi-source/';
const HINT =
  'DomainNet (cleaned version, Peng et al. 2019) from http://ai.bu.edu/M3SDA/: one zip per domain plus the split lists ' +
  '{domain}_train.txt / {domain}_test.txt (real.zip alone is 5.6 GB, all six 17.5 GB)';

/** The domain's image archive (clipart and painting sit under `groundtruth/` on the server). */
const zipSource = (domain: Domain): FileSource => ({
  name: `${domain}.zip`,
  urls: [`${HOST}${domain === 'clipart' || domain === 'painting' ? 'groundtruth/' : ''}${domain}.zip`],
  hint: HINT,
});

/** The domain's official split list: lines `<path inside the zip> <label 0..344>`. */
const listSource = (domain: Domain, split: ListSplit): FileSource => ({
  name: `${domain}_${split}.txt`,
  urls: [`${HOST}domainnet/txt/${domain}_${split}.txt`],
  hint: HINT,
});

const configSchema = z.object({ domain: z.enum(DOMAINNET_DOMAINS).default('real'), source: sourceOption }).strict();

const HF_REPO = 'wltjr1007/DomainNet';
/** All domains' rows sit in the same files; the `domain` column (clipart 0 … sketch 5) says which. */
const HF_FILES: Readonly<Record<ListSplit, readonly string[]>> = {
  train: [
    'data/train-00000-of-00003.parquet',
    'data/train-00001-of-00003.parquet',
    'data/train-00002-of-00003.parquet',
  ],
  test: ['data/test-00000-of-00001.parquet'],
};

/** The rows of one domain of an HF split file set, labelled by ClassLabel name in the official class order. */
function openHf(
  domain: Domain,
  list: ListSplit,
  imageSize: number,
  files: DatasetFiles,
  onProgress: OpenOptions['onProgress'],
) {
  return hfImageSplit(files, {
    repo: HF_REPO,
    paths: HF_FILES[list],
    imageColumn: 'image',
    columns: ['label', 'domain'],
    select: (info) => {
      const label = labelMapper(info, 'label', DOMAINNET_CLASSES);
      const domainOf = labelMapper(info, 'domain', DOMAINNET_DOMAINS);
      const wanted = DOMAINNET_DOMAINS.indexOf(domain);
      return (row, index) => (domainOf(row['domain'], index) === wanted ? label(row['label'], index) : undefined);
    },
    size: imageSize,
    selection: JSON.stringify({ domain, list }),
    note: `${list} rows of domain ${domain}`,
    onProgress,
  });
}

function splitNames(source: Domain): string[] {
  return ['train', 'test', ...DOMAINNET_DOMAINS.filter((d) => d !== source).map((d) => `${d}/test`)];
}

/** `train` / `test` are the source domain's; `<domain>/test` is another domain's test split. */
function resolveSplit(split: string, source: Domain): { domain: Domain; list: ListSplit } {
  if (split === 'train' || split === 'test') return { domain: source, list: split };
  const [domain, list, ...rest] = split.split('/');
  if (rest.length === 0 && list === 'test' && (DOMAINNET_DOMAINS as readonly string[]).includes(domain as string))
    return { domain: domain as Domain, list };
  throw new ConfigError(`domainnet has no split '${split}' (splits: ${splitNames(source).join(', ')})`);
}

interface Listed {
  readonly path: string;
  readonly label: number;
}

/** Parses a split list, checking every line: two fields, the domain's folder, a label 0..344 matching its class folder. */
function parseList(text: string, file: string, domain: string): Listed[] {
  const listed: Listed[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw new ConfigError(`${where}: expected '<path> <label>', found '${line}'`);
    const [path, labelText] = fields as [string, string];
    const label = Number(labelText);
    if (!/^\d+$/.test(labelText) || label >= DOMAINNET_CLASSES.length) {
      throw new ConfigError(`${where}: label '${labelText}' is not a class number 0..${DOMAINNET_CLASSES.length - 1}`);
    }
    const [folder, className] = path.split('/');
    if (folder !== domain)
      throw new ConfigError(`${where}: '${path}' is not under '${domain}/' (is this ${domain}'s list?)`);
    if (className !== DOMAINNET_CLASSES[label]) {
      throw new ConfigError(
        `${where}: '${path}' has label ${label}, which is class '${DOMAINNET_CLASSES[label]}', not '${className}'`,
      );
    }
    listed.push({ path, label });
  }
  if (listed.length === 0) throw new ConfigError(`${file}: no images listed`);
  return listed;
}

const fileStamp = (path: string): [string, number, number] => {
  const stat = statSync(path);
  return [path, stat.size, Math.round(stat.mtimeMs)];
};

function availability(source: Domain, files: DatasetFiles): DatasetAvailability {
  const needed = [
    zipSource(source),
    listSource(source, 'train'),
    ...DOMAINNET_DOMAINS.flatMap((d) => [listSource(d, 'test'), ...(d === source ? [] : [zipSource(d)])]),
  ];
  let bytes = 0;
  const missing: string[] = [];
  for (const file of needed) {
    try {
      bytes += statSync(join(files.dir, file.name)).size;
    } catch {
      missing.push(file.name);
    }
  }
  if (missing.length > 0)
    return { present: false, detail: `missing in ${files.dir}: ${missing.join(', ')} (from ${HOST})` };
  return { present: true, bytes, detail: `${files.dir}: ${DOMAINNET_DOMAINS.length} domain archives and split lists` };
}

/**
 * DomainNet, cleaned version (Peng et al., ICCV 2019): 345 classes in six domains (clipart, infograph, painting,
 * quickdraw, real, sketch), read from the official per-domain zips (ZIP64, streamed: never held in memory) and the
 * official `{domain}_{train,test}.txt` split lists. Fine-tuning uses the configured source `domain`'s `train`
 * split; `test` is its in-distribution test split and `<other domain>/test` the out-of-distribution ones.
 * Images (JPEG; PNG for quickdraw) are decoded and resized to `imageSize` once, then cached on disk.
 *
 * Listed images that are absent from the zip (third-party loaders report a few painting entries) are skipped: each open reports them
 * once through `process.emitWarning` (type `DatasetWarning`, code `PARETUNE_DATASET_MISSING_IMAGES`), naming
 * the list file, the archive and the count.
 *
 * With `source: 'hf'`, the Hugging Face parquet copy `wltjr1007/DomainNet`: `train` is the source domain's rows of
 * the train files, `<d>/test` (and `test`) domain d's rows of the test file, selected by the `domain` column
 * (clipart 0, infograph 1, painting 2, quickdraw 3, real 4, sketch 5, or by ClassLabel name when the file has
 * names); labels are matched to the official class order by ClassLabel name.
 */
export const domainNet = definePlugin({
  family: 'dataset',
  meta: {
    name: 'domainnet',
    version: '0.1.0',
    apiVersion: 1,
    description:
      'DomainNet (cleaned): 345 classes in 6 domains; train on one domain, the other five domains are OOD test sets.',
  },
  configSchema,
  describe: ({ domain }) => ({
    numClasses: DOMAINNET_CLASSES.length,
    classNames: DOMAINNET_CLASSES,
    splits: splitNames(domain),
    domains: DOMAINNET_DOMAINS,
    domain,
  }),
  availability: ({ domain, source }, files) =>
    source === 'hf'
      ? hfAvailability(HF_REPO, [...HF_FILES.train, ...HF_FILES.test], files)
      : availability(domain, files),
  async open(split, { domain: source, source: from }, { imageSize, files, onProgress }) {
    const { domain, list } = resolveSplit(split, source);
    if (from === 'hf') return openHf(domain, list, imageSize, files, onProgress);
    const listFile = await files.fetch(listSource(domain, list));
    const archive = await files.fetch(zipSource(domain));
    const listed = parseList(readFileSync(listFile, 'utf8'), listFile, domain);
    // The split files list a few images the archives lack: keep the listed images the archive holds, in list order.
    const zip = await files.openZip(archive);
    const present = listed.filter((entry) => zip.has(entry.path));
    const absent = listed.filter((entry) => !zip.has(entry.path));
    await zip.close();
    if (present.length === 0)
      throw new ConfigError(`${archive}: none of the ${listed.length} images listed in ${listFile} is in the archive`);
    if (absent.length > 0) {
      process.emitWarning(
        `domainnet: ${absent.length} of the ${listed.length} images listed in ${listFile} are not in ${archive} and were skipped ` +
          `(e.g. ${absent
            .slice(0, 3)
            .map((e) => e.path)
            .join(', ')})`,
        { type: 'DatasetWarning', code: 'PARETUNE_DATASET_MISSING_IMAGES' },
      );
    }
    const key = JSON.stringify({
      dataset: 'domainnet',
      split: `${domain}/${list}`,
      imageSize,
      archive: fileStamp(archive),
      list: fileStamp(listFile),
    });
    const images = await files.cachedImages(key, { count: present.length, size: imageSize }, async (write) => {
      const positions = new Map<string, number[]>();
      present.forEach((entry, i) => positions.set(entry.path, [...(positions.get(entry.path) ?? []), i]));
      let done = 0;
      const task = `domainnet ${domain}/${list}: decoding`;
      await files.readZip(
        archive,
        async ({ path, bytes }) => {
          const image = await files.decodeImage(bytes, imageSize, `${archive}: ${path}`);
          for (const i of positions.get(path) ?? []) write(i, image);
          done += positions.get(path)?.length ?? 0;
          onProgress?.({ task, done, total: present.length });
        },
        (path) => positions.has(path),
      );
      return Int32Array.from(present, (entry) => entry.label);
    });
    return { ...images, source: `${archive} (${listFile})` };
  },
});
