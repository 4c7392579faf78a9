import type { Rng } from '../tensor/rng.js';
import { ConfigError } from './config.js';
import type { PluginBase } from './plugin.js';

/** Classes, splits and domains of a dataset. */
export interface DatasetDescription {
  readonly numClasses: number;
  /** Class names in label order (label i is `classNames[i]`). */
  readonly classNames: readonly string[];
  /** Split names, e.g. `train`, `test`, or `sketch/test` for domain datasets. */
  readonly splits: readonly string[];
  /** Domains for multi-domain datasets (DomainNet); absent otherwise. */
  readonly domains?: readonly string[];
  /**
   * The domain the `train` and `test` splits come from (the configured source domain). The other domains'
   * test splits are named `<domain>/test` and serve as out-of-distribution evaluation sets.
   */
  readonly domain?: string;
  /** Native image side in pixels when all images share it (32 for CIFAR); absent when sizes vary. */
  readonly nativeResolution?: number;
}

/** Progress of long work (downloads, decoding), for progress bars. */
export type ProgressListener = (event: {
  readonly task: string;
  readonly done: number;
  /** Absent (or undefined) where the amount of work is not known. */
  readonly total?: number | undefined;
}) => void;

/** A file a dataset needs, and where it can come from. */
export interface FileSource {
  /** File name in the dataset's folder, e.g. `cifar-10-binary.tar.gz`. */
  readonly name: string;
  /** Download addresses, tried in order. */
  readonly urls: readonly string[];
  /** Checksums verified after a download (and on local copies), when known. */
  readonly md5?: string;
  readonly sha256?: string;
  /** Existing copies checked first, e.g. a Debian package's files under /usr/share/datasets. */
  readonly localPaths?: readonly string[];
  /** For people without network access: which package or page provides the file. */
  readonly hint?: string;
}

/** One file entry of an archive being streamed, with its contents. */
export interface ArchiveEntry {
  readonly path: string;
  readonly bytes: Buffer;
}

/** Sizes of one file in a zip archive, from its central directory. */
export interface ZipEntryStat {
  /** Uncompressed bytes. */
  readonly size: number;
  /** Bytes stored in the archive (equal to `size` for stored entries). */
  readonly compressedSize: number;
}

/**
 * A zip archive opened for random access (see {@link DatasetFiles.openZip}): the central directory is read once
 * (ZIP64 included) and kept as an index of a few numbers per file; each `read` fetches one file with positioned reads, so the
 * archive is never held in memory whatever its size. Call `close()` when done (it releases the file descriptor).
 */
export interface ZipArchive {
  /** The archive's path on disk. */
  readonly path: string;
  /** Paths of the files in the archive (folders left out), in central-directory order. */
  readonly paths: readonly string[];
  has(path: string): boolean;
  /** Sizes of a file, or undefined when the archive has no such file. */
  stat(path: string): ZipEntryStat | undefined;
  /**
   * The uncompressed contents of one file (stored or deflated), checked against the directory's size and CRC-32
   * (the CRC on Node >= 20.15, which has `zlib.crc32`).
   * Safe to call concurrently. Rejects with an error naming the archive and the file when it is absent or corrupt.
   */
  read(path: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** One row of a parquet file as {@link DatasetFiles.readParquet} hands it over, keyed by column name. */
export type ParquetRow = Readonly<Record<string, unknown>>;

/** Footer facts of a parquet file. */
export interface ParquetInfo {
  /** The file's path on disk. */
  readonly path: string;
  /** Total rows. */
  readonly rows: number;
  /** Rows of each row group, in file order. */
  readonly rowGroups: readonly number[];
  /** Top-level column names (a struct column such as an HF image counts once). */
  readonly columns: readonly string[];
  /**
   * The footer's key/value metadata. Hugging Face files keep their features under `huggingface` (JSON; ClassLabel
   * names at `info.features.<column>.names`).
   */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * File and image services paretune gives dataset plugins, so that every dataset downloads, verifies, streams
 * and decodes the same way (progress bars, resumable downloads, checksums, clear offline errors).
 */
export interface DatasetFiles {
  /** This dataset's folder under paretune's data directory (created on demand). */
  readonly dir: string;
  /**
   * A local path of the file: a local copy, else the cached download, else a download (resumable, with progress,
   * checksum-verified). Without network access the error says which file to put where, and what provides it.
   */
  fetch(source: FileSource): Promise<string>;
  /**
   * Streams a tar archive (plain or gzip-compressed) file by file, never holding the archive in memory: `visit`
   * gets each file that `accept` (default: every file) takes, a few at a time.
   */
  readTar(
    path: string,
    visit: (entry: ArchiveEntry) => Promise<void> | void,
    accept?: (path: string) => boolean,
  ): Promise<void>;
  /**
   * Streams a zip archive (stored or deflated entries; ZIP64 archives over 4 GB included) file by file in
   * central-directory order, never holding the archive in memory: only the directory entries are walked, and only
   * files that `accept` (default: every file; folders are skipped) takes are read, each with one positioned read,
   * and handed to `visit` a few at a time (at most 8 visits in flight, as for `readTar`). Contents are checked
   * against the directory's size and CRC-32 (as {@link ZipArchive.read}). A truncated or corrupt archive rejects
   * with an error naming the file (and the entry); so does the first failing `visit`, after which reading stops.
   */
  readZip(
    path: string,
    visit: (entry: ArchiveEntry) => Promise<void> | void,
    accept?: (path: string) => boolean,
  ): Promise<void>;
  /**
   * Opens a zip archive for random access: its file list up front, any file's contents on demand
   * ({@link ZipArchive}). Memory grows with the number of files (the index), not with the archive's size.
   */
  openZip(path: string): Promise<ZipArchive>;
  /**
   * Footer facts of a parquet file (row count, row groups, columns, key/value metadata), reading only the footer.
   * A file that is not readable parquet rejects with an error naming it.
   */
  parquetInfo(path: string): Promise<ParquetInfo>;
  /**
   * Streams the named top-level `columns` of a parquet file one row group at a time, so memory is bounded by a row
   * group, not the file: `visit` gets each group's rows as objects keyed by column name, with `offset` the file-wide
   * index of the first of them, and is awaited before the next group is read. Row groups whose row range
   * `[rowStart, rowEnd)` `accept` (default: every group) declines are skipped unread. Values: unannotated binary
   * (e.g. encoded images) as `Uint8Array`, never decoded as text; UTF8/STRING columns as strings; INT64 as numbers
   * (bigint only beyond 2^53); structs as objects (an HF image is `{ bytes: Uint8Array, path: string | null }`); nulls as `null`.
   * Snappy, gzip, zstd, brotli and lz4 pages are supported. Resolves to the footer facts. A corrupt or truncated file,
   * or a missing column, rejects with an error naming the file (and the rows); so does the first failing `visit`.
   */
  readParquet(
    path: string,
    columns: readonly string[],
    visit: (rows: readonly ParquetRow[], offset: number) => Promise<void> | void,
    accept?: (rowStart: number, rowEnd: number) => boolean,
  ): Promise<ParquetInfo>;
  /** Decodes a JPEG or PNG (grayscale, CMYK and alpha included) to RGB resized to size x size (bilinear, aspect not kept). */
  decodeImage(bytes: Uint8Array, size: number, origin: string): Promise<Uint8Array>;
  /** Resizes uint8 RGB images (NHWC) to size x size the same way; returns the input when it already has that size. */
  resizeImages(pixels: Uint8Array, count: number, height: number, width: number, size: number): Promise<Uint8Array>;
  /**
   * Decoded images cached on disk under `key` (which must change whenever the source or the image size does), as a
   * split that reads images from disk by index, so splits larger than memory work. On a miss, `build` writes every
   * image `0..count-1` (size x size RGB) through `write` and returns the labels; a second run decodes nothing.
   */
  cachedImages(
    key: string,
    shape: { readonly count: number; readonly size: number },
    build: (write: ImageWriter) => Promise<Int32Array>,
  ): Promise<DatasetSplit>;
}

/** Stores one decoded image (size x size RGB, uint8) at position `index` of an image cache being built. */
export type ImageWriter = (index: number, pixels: Uint8Array) => void;

export interface OpenOptions {
  /** Images are resized to `imageSize` x `imageSize` (bilinear, aspect ratio not kept). */
  readonly imageSize: number;
  /** Root of paretune's data directory. */
  readonly dataDir: string;
  readonly files: DatasetFiles;
  readonly rng: Rng;
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Whether a dataset's files are present locally, for `paretune datasets`. */
export interface DatasetAvailability {
  readonly present: boolean;
  /** Bytes of the local files (when present). */
  readonly bytes?: number;
  /** Where the files are, or what is missing. */
  readonly detail: string;
}

/** Decoded images as uint8 RGB, NHWC, with their labels. */
export interface ImageBatch {
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/** An opened split: every label up front, images read by index. */
export interface DatasetSplit {
  readonly size: number;
  readonly labels: Int32Array;
  read(indices: ArrayLike<number>): Promise<ImageBatch>;
  /** Where the images came from (archive or folder paths, and list files), recorded with every run. */
  readonly source?: string;
  /** Source files left out of the split because they do not decode (the plugin warns, naming them). */
  readonly skipped?: number;
}

/** A dataset: downloads, verifies and caches its files, and decodes images. */
export interface DatasetPlugin<C = unknown> extends PluginBase<'dataset', C> {
  describe(config: C): DatasetDescription;
  open(split: string, config: C, options: OpenOptions): Promise<DatasetSplit>;
  /** Whether the files are present locally (without downloading). */
  availability?(config: C, files: DatasetFiles): DatasetAvailability;
}

/**
 * A split held in memory as uint8 RGB at its native size, resized to `imageSize` as batches are read.
 * Suits datasets of small images (CIFAR, Fashion-MNIST); large-image datasets decode to `imageSize` up front.
 */
export function memorySplit(
  images: { readonly pixels: Uint8Array; readonly labels: Int32Array; readonly height: number; readonly width: number },
  imageSize: number,
  files: DatasetFiles,
): DatasetSplit {
  const size = images.height * images.width * 3;
  const count = images.labels.length;
  return {
    size: count,
    labels: images.labels,
    async read(indices) {
      const native = new Uint8Array(indices.length * size);
      const labels = new Int32Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k] as number;
        if (!(i >= 0 && i < count)) throw new RangeError(`image index ${i} is outside the split (0..${count - 1})`);
        native.set(images.pixels.subarray(i * size, (i + 1) * size), k * size);
        labels[k] = images.labels[i] as number;
      }
      const pixels = await files.resizeImages(native, indices.length, images.height, images.width, imageSize);
      return { pixels, labels, count: indices.length, height: imageSize, width: imageSize, channels: 3 };
    },
  };
}

/**
 * Refuses a split whose labels are not one per image, each a class in `[0, numClasses)`: a label outside it would be
 * scored as a plausible accuracy. paretune checks every split it opens, whatever the dataset plugin.
 * @param where - the split, for the message (e.g. `dataset 'fashion-mnist' split 'train'`).
 * @throws {@link ConfigError} naming the split, its source files, the image index and the label.
 */
export function checkSplitLabels(split: DatasetSplit, numClasses: number, where: string): DatasetSplit {
  const from = split.source === undefined ? '' : ` (${split.source})`;
  if (split.labels.length !== split.size)
    throw new ConfigError(`${where}${from}: ${split.size} images but ${split.labels.length} labels`);
  for (let i = 0; i < split.labels.length; i++) {
    const label = split.labels[i] as number;
    if (!(label >= 0 && label < numClasses)) {
      throw new ConfigError(
        `${where}${from}: label ${label} of image ${i} is not a class (expected 0 to ${numClasses - 1})`,
      );
    }
  }
  return split;
}
