import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../tensor/rng.js';
import type { Classifier } from './model.js';
import type { PluginBase } from './plugin.js';

/** A threat model: the norm that bounds perturbations and its radius, in [0,1] pixel units. */
export interface ThreatModel {
  readonly norm: 'Linf' | 'L2' | 'L1';
  readonly eps: number;
}

export interface AttackInput<C> {
  readonly model: Classifier;
  /** Clean pixels `[batch, height, width, channels]` in [0,1]. */
  readonly pixels: tf.Tensor4D;
  /** True labels `[batch]` (int32). */
  readonly labels: tf.Tensor1D;
  readonly config: C;
  readonly rng: Rng;
  /**
   * Images per forward or gradient pass that fit the backend's memory: split larger batches into passes of at
   * most this many images (results per image must not depend on the split). Absent: the whole batch.
   */
  readonly microBatch?: number;
}

/** Adversarial pixels for one threat model, in [0,1] and within its budget. */
export interface AttackResult {
  readonly threat: ThreatModel;
  readonly pixels: tf.Tensor4D;
}

/** An adversarial attack (PGD, APGD, ...). */
export interface AttackPlugin<C = unknown> extends PluginBase<'attack', C> {
  /** The threat models one `perturb` call evaluates (several eps values make a robustness curve). */
  threatModels(config: C): readonly ThreatModel[];
  /**
   * Perturbs a batch, one result per threat model. Each step runs inside `tf.tidy`; the returned tensors
   * belong to the caller, who disposes them.
   */
  perturb(input: AttackInput<C>): Promise<readonly AttackResult[]>;
}
