import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../tensor/rng.js';
import type { DatasetDescription } from './dataset.js';
import type { PluginBase } from './plugin.js';

/** One evaluation condition of a shift, e.g. `{ name: 'gaussian_noise', severity: 3 }`. */
export interface ShiftVariant {
  readonly name: string;
  readonly severity?: number;
}

/** A distribution shift applied to pixels; usable on any dataset (corruptions). */
export interface PixelShiftPlugin<C = unknown> extends PluginBase<'shift', C> {
  readonly kind: 'pixel';
  /** The variants a config asks for (corruptions x severities). */
  variants(config: C): readonly ShiftVariant[];
  /**
   * Shifted pixels in [0,1] for pixels `[batch, height, width, channels]` in [0,1]. Asynchronous where it reads the
   * pixels' values (`await pixels.data()`: GPU backends have no synchronous read).
   */
  apply(pixels: tf.Tensor4D, variant: ShiftVariant, config: C, rng: Rng): tf.Tensor4D | Promise<tf.Tensor4D>;
}

/** A distribution shift a dataset provides as evaluation splits (DomainNet's other domains). */
export interface SplitShiftPlugin<C = unknown> extends PluginBase<'shift', C> {
  readonly kind: 'split';
  /** The dataset's out-of-distribution splits this shift evaluates, e.g. its other domains' test splits. */
  splits(dataset: DatasetDescription, config: C): readonly string[];
}

export type ShiftPlugin<C = unknown> = PixelShiftPlugin<C> | SplitShiftPlugin<C>;
