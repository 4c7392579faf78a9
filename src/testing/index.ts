/**
 * Test kit for plugin authors (`paretune/testing`): a tiny model and classifier to adapt and attack, seeded data,
 * backend set-up, leak checks, and a conformance suite per plugin family. The suites are plain async functions
 * returning findings, so they run under any test runner; {@link assertConforms} turns findings into a thrown error.
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AttackPlugin } from '../core/contracts/attack.js';
import type { DatasetPlugin } from '../core/contracts/dataset.js';
import type { MetricPlugin } from '../core/contracts/metric.js';
import type { AdaptableModel, Classifier } from '../core/contracts/model.js';
import type { StrategyPlugin } from '../core/contracts/strategy.js';
import { selectBackend } from '../core/tensor/backend.js';
import { checkAttack } from './attack.js';
import type { AttackCheckOptions } from './attack.js';
import { checkDataset } from './dataset.js';
import type { DatasetCheckOptions } from './dataset.js';
import { assertConforms } from './findings.js';
import type { Finding } from './findings.js';
import { checkMetric } from './metric.js';
import type { MetricCheckOptions } from './metric.js';
import * as models from './models.js';
import { checkStrategy } from './strategy.js';
import type { StrategyCheckOptions } from './strategy.js';

export { assertNoTensorLeaks, TensorLeakError } from '../core/tensor/memory.js';
export { Rng } from '../core/tensor/rng.js';
export { checkAttack, checkDataset, checkMetric, checkStrategy };
export type { AttackCheckOptions, DatasetCheckOptions, Finding, MetricCheckOptions, StrategyCheckOptions };
export { assertConforms, ConformanceError } from './findings.js';

/**
 * Starts the TensorFlow.js backend paretune runs tests on: `wasm` (the default; what a CPU machine runs) or `cpu`.
 * Call it once before any tensor work, e.g. at the top of a test file; later calls return the same backend.
 * @returns the backend's name.
 */
export async function useBackend(name: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  return (await selectBackend({ name, source: 'paretune/testing useBackend()' })).name;
}

/** A model as a strategy adapts it and an attack attacks it; dispose it when done. */
export interface TinyModel extends AdaptableModel, Classifier {
  dispose(): void;
}

/** A randomly initialised tiny ViT (8 px images, patch 4, hidden 16, 2 layers, 3 classes); the seed fixes it. */
export const tinyModel: (seed?: number) => TinyModel = models.tinyModel;

/**
 * The tiny ViT trained on {@link toyData}: a classifier that gets most images right, for attacks to fool. Trained
 * once per process; each call returns a fresh copy.
 */
export const tinyClassifier: () => Promise<TinyModel> = models.tinyClassifier;

/** `n` seeded 8x8 RGB images in [0,1] of a learnable 3-class task (class c: channel c brighter) and their labels. */
export const toyData: (n: number, seed: number) => { pixels: tf.Tensor4D; labels: tf.Tensor1D } = models.toyData;

/** Options of {@link checkPlugin}, per family. */
export type CheckOptions<P> = P extends AttackPlugin
  ? AttackCheckOptions
  : P extends StrategyPlugin
    ? StrategyCheckOptions
    : P extends DatasetPlugin
      ? DatasetCheckOptions
      : MetricCheckOptions;

type CheckedPlugin = AttackPlugin | StrategyPlugin | DatasetPlugin | MetricPlugin;

/** Runs the conformance suite of the plugin's family (attack, strategy, dataset or metric). */
export async function checkPlugin<P extends CheckedPlugin>(plugin: P, ...options: CheckArgs<P>): Promise<Finding[]> {
  const [given] = options as [unknown];
  switch (plugin.family) {
    case 'attack':
      return checkAttack(plugin, given as AttackCheckOptions | undefined);
    case 'strategy':
      return checkStrategy(plugin, given as StrategyCheckOptions | undefined);
    case 'dataset':
      return checkDataset(plugin, given as DatasetCheckOptions);
    case 'metric':
      return checkMetric(plugin, given as MetricCheckOptions | undefined);
  }
}

/** Dataset checks need a data folder; the other families' options are optional. */
type CheckArgs<P> = P extends DatasetPlugin ? [options: DatasetCheckOptions] : [options?: CheckOptions<P>];

/** Runs {@link checkPlugin} and throws a {@link ConformanceError} listing the findings, if any. */
export async function assertPluginConforms<P extends CheckedPlugin>(
  plugin: P,
  ...options: CheckArgs<P>
): Promise<void> {
  assertConforms(await checkPlugin(plugin, ...options));
}
