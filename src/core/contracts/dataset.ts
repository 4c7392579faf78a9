import type { Rng } from '../tensor/rng.js';
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
export type ProgressListener = (event: { readonly task: string; readonly done: number; readonly total?: number }) => void;

export interface OpenOptions {
  /** Images are resized to `imageSize` x `imageSize` (bilinear, aspect ratio not kept). */
  readonly imageSize: number;
  /** Root of paretune's data cache; the plugin keeps its files below it. */
  readonly dataDir: string;
  readonly rng: Rng;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
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
}

/** A dataset: downloads, verifies and caches its files, and decodes images. */
export interface DatasetPlugin<C = unknown> extends PluginBase<'dataset', C> {
  describe(config: C): DatasetDescription;
  open(split: string, config: C, options: OpenOptions): Promise<DatasetSplit>;
}
