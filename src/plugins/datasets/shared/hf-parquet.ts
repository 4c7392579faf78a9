import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, z } from '../../../core/contracts/index.js';
import type {
  DatasetAvailability,
  DatasetFiles,
  DatasetSplit,
  FileSource,
  ParquetInfo,
  ParquetRow,
  ProgressListener,
} from '../../../core/contracts/index.js';

/**
 * Where a dataset's files come from: `canonical` (the original archives, the default) or `hf` (the Hugging Face
 * parquet copies the paper's official code loads). Left out, it means `canonical`: parsing does not fill it in, so
 * existing configs (and run records) keep their exact shape.
 */
export const sourceOption = z
  .enum(['canonical', 'hf'])
  .optional()
  .describe(
    "where the files come from: 'canonical' (the original archives; the default when left out) or 'hf' (the Hugging Face parquet copies)",
  );

/** Download address of a file of an HF dataset repository. */
export const hfUrl = (repo: string, file: string): string =>
  `https://huggingface.co/datasets/${repo}/resolve/main/${file}`;

/** A parquet file of an HF dataset, kept at `<dataset folder>/hf/<file>`. */
export function hfFileSource(repo: string, file: string): FileSource {
  const url = hfUrl(repo, file);
  return { name: `hf/${file}`, urls: [url], hint: `download ${url} (Hugging Face dataset ${repo})` };
}

/** Whether all the listed parquet files of an HF dataset are in the dataset folder. */
export function hfAvailability(repo: string, paths: readonly string[], files: DatasetFiles): DatasetAvailability {
  let bytes = 0;
  const missing: string[] = [];
  for (const path of paths) {
    try {
      bytes += statSync(join(files.dir, 'hf', path)).size;
    } catch {
      missing.push(path);
    }
  }
  if (missing.length > 0)
    return {
      present: false,
      detail: `HF parquet files not downloaded yet: ${missing.map((p) => hfUrl(repo, p)).join(', ')} into ${join(files.dir, 'hf')}`,
    };
  return { present: true, bytes, detail: `${join(files.dir, 'hf')} (${repo}: ${paths.join(', ')})` };
}

/** ClassLabel names of `column` from the file's `huggingface` key/value metadata, or undefined when it has none. */
export function classLabelNames(info: ParquetInfo, column: string): string[] | undefined {
  const text = info.metadata['huggingface'];
  if (text === undefined) return undefined;
  let features: unknown;
  try {
    features = (JSON.parse(text) as { info?: { features?: Record<string, unknown> } }).info?.features?.[column];
  } catch {
    throw new ConfigError(`${info.path}: the 'huggingface' metadata is not JSON`);
  }
  const names = (features as { names?: unknown } | undefined)?.names;
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
}

/**
 * A class name reduced for matching across sources: lower case, letters and digits only, without a leading
 * `NNN.` (Caltech, CUB folders) or WordNet synset `nNNNNNNNN-` (Stanford Dogs folders).
 */
export const matchName = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/^\d+\./, '')
    .replace(/^n\d{8}-/, '')
    .replace(/[^a-z0-9]/g, '');

/** Index of each canonical class by {@link matchName}. */
export function nameIndex(canonical: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  canonical.forEach((name, i) => {
    const key = matchName(name);
    if (index.has(key)) throw new Error(`class names '${canonical[index.get(key) as number]}' and '${name}' collide`);
    index.set(key, i);
  });
  return index;
}

/** An integer cell (INT32/INT64) or undefined. */
const integer = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : undefined;

/**
 * Maps the values of a label column of one file to canonical labels (indices into `canonical`). With ClassLabel
 * names in the file's metadata, value v is the class named `names[v]`, matched to `canonical` by {@link matchName}
 * (so a different HF class order is remapped by name); without them, the value is taken as the canonical label.
 * A value that is no class is a ConfigError naming the file, the row and the value.
 */
export function labelMapper(
  info: ParquetInfo,
  column: string,
  canonical: readonly string[],
): (value: unknown, row: number) => number {
  const names = classLabelNames(info, column);
  const where = (row: number) => `${info.path} row ${row}: ${column}`;
  if (names === undefined) {
    return (value, row) => {
      const v = integer(value);
      if (v === undefined || v < 0 || v >= canonical.length)
        throw new ConfigError(`${where(row)} ${String(value)} is not a class label 0..${canonical.length - 1}`);
      return v;
    };
  }
  const index = nameIndex(canonical);
  const mapped = names.map((name) => index.get(matchName(name)));
  return (value, row) => {
    const v = integer(value);
    if (v === undefined || v < 0 || v >= names.length)
      throw new ConfigError(
        `${where(row)} ${String(value)} is not one of the file's ${names.length} ClassLabel values`,
      );
    const label = mapped[v];
    if (label === undefined)
      throw new ConfigError(`${where(row)} ${v} is class '${names[v]}', which is not a known class of this dataset`);
    return label;
  };
}

/** How to pick rows of an HF split and label them. */
export interface HfSplitSpec {
  /** HF dataset id, e.g. `uoft-cs/cifar10`. */
  readonly repo: string;
  /** Parquet files of the split (paths in the repository), read in this order. */
  readonly paths: readonly string[];
  /** The image column (struct `{bytes, path}`). */
  readonly imageColumn: string;
  /** The columns `select` reads. */
  readonly columns: readonly string[];
  /**
   * Given a file's footer, a function from a row of `columns` (and its file-wide index) to the row's canonical label,
   * or undefined to leave the row out.
   */
  readonly select: (info: ParquetInfo) => (row: ParquetRow, index: number) => number | undefined;
  /** Decoded image side (the cache holds images of this size). */
  readonly size: number;
  /** Whatever else decides membership or labels (config), for the cache key. */
  readonly selection: string;
  /** Appended to the split's `source` string. */
  readonly note?: string;
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Decodes in flight at once. */
const IN_FLIGHT = 8;

/** First pass: reads only the label columns of each file; returns each file's selected rows and their labels. */
async function selectRows(
  files: DatasetFiles,
  spec: HfSplitSpec,
  locals: readonly string[],
): Promise<{ rows: number[][]; labels: number[] }> {
  const rows: number[][] = [];
  const labels: number[] = [];
  for (const local of locals) {
    const select = spec.select(await files.parquetInfo(local));
    const picked: number[] = [];
    await files.readParquet(local, spec.columns, (group, offset) => {
      group.forEach((row, i) => {
        const label = select(row, offset + i);
        if (label !== undefined) {
          picked.push(offset + i);
          labels.push(label);
        }
      });
    });
    rows.push(picked);
  }
  return { rows, labels };
}

/**
 * Second pass over one file: decodes the `picked` rows' images (ascending row numbers), `IN_FLIGHT` at a time, into
 * the cache slots from `first` on; row groups without picked rows are not read. Calls `decoded` after each batch.
 */
async function decodeRows(
  files: DatasetFiles,
  spec: HfSplitSpec,
  local: string,
  picked: readonly number[],
  first: number,
  write: (slot: number, image: Uint8Array) => void,
  decoded: (count: number) => void,
): Promise<void> {
  const slot = new Map(picked.map((row, k) => [row, first + k]));
  let next = 0; // index into `picked` of the first row not yet decoded
  const decodeOne = async (group: readonly ParquetRow[], offset: number, row: number): Promise<void> => {
    const cell = (group[row - offset] as ParquetRow)[spec.imageColumn] as { bytes?: unknown } | null;
    const bytes = cell?.bytes;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0)
      throw new ConfigError(`${local} row ${row}: ${spec.imageColumn} holds no image bytes`);
    write(slot.get(row) as number, await files.decodeImage(bytes, spec.size, `${local} row ${row}`));
  };
  await files.readParquet(
    local,
    [spec.imageColumn],
    async (group, offset) => {
      const wanted: number[] = [];
      while (next < picked.length && (picked[next] as number) < offset + group.length)
        wanted.push(picked[next++] as number);
      for (let k = 0; k < wanted.length; k += IN_FLIGHT) {
        spec.signal?.throwIfAborted();
        await Promise.all(wanted.slice(k, k + IN_FLIGHT).map((row) => decodeOne(group, offset, row)));
        decoded(Math.min(IN_FLIGHT, wanted.length - k));
      }
    },
    (rowStart, rowEnd) => {
      while (next < picked.length && (picked[next] as number) < rowStart) next++;
      return next < picked.length && (picked[next] as number) < rowEnd;
    },
  );
}

/**
 * An HF parquet split: the files are fetched into `<dataset folder>/hf/`, a first pass reads only the label columns
 * (labels, membership, unknown labels rejected), a second pass decodes the selected rows' images at `size` into the
 * disk cache (only on a cache miss; row groups without selected rows are skipped). Rows keep file order.
 */
export async function hfImageSplit(files: DatasetFiles, spec: HfSplitSpec): Promise<DatasetSplit & { source: string }> {
  const locals: string[] = [];
  for (const path of spec.paths) locals.push(await files.fetch(hfFileSource(spec.repo, path)));
  const { rows, labels } = await selectRows(files, spec, locals);
  const count = labels.length;
  const source = `hf:${spec.repo} ${spec.paths.join(', ')}${spec.note === undefined ? '' : ` (${spec.note})`}`;
  if (count === 0) throw new ConfigError(`${source}: no rows selected`);
  const stamps = locals.map((path) => {
    const stat = statSync(path);
    return [path, stat.size, Math.round(stat.mtimeMs)];
  });
  const key = JSON.stringify({
    hf: spec.repo,
    files: stamps,
    image: spec.imageColumn,
    size: spec.size,
    selection: spec.selection,
    count,
  });
  const split = await files.cachedImages(key, { count, size: spec.size }, async (write) => {
    let position = 0;
    let done = 0;
    const task = `${spec.repo}: decoding`;
    for (const [f, local] of locals.entries()) {
      const picked = rows[f] as number[];
      await decodeRows(files, spec, local, picked, position, write, (decoded) => {
        done += decoded;
        spec.onProgress?.({ task, done, total: count });
      });
      position += picked.length;
    }
    return Int32Array.from(labels);
  });
  return { ...split, source };
}

/** A split whose images are stored at `native` size, resized to `size` as batches are read (as memorySplit does). */
export function resizedSplit<S extends DatasetSplit>(split: S, native: number, size: number, files: DatasetFiles): S {
  if (native === size) return split;
  return {
    ...split,
    async read(indices) {
      const batch = await split.read(indices);
      const pixels = await files.resizeImages(batch.pixels, batch.count, native, native, size);
      return { ...batch, pixels, height: size, width: size };
    },
  };
}
