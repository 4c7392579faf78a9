import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng } from '../tensor/rng.js';
import { allowTransform, NUMBER_OR_FRACTION, parseFraction } from './config.js';
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

const RADIUS_EXPECTED = 'expected a radius: a number >= 0 or a fraction such as "8/255"';

/**
 * One radius in [0,1] pixel units, written as a number or as a fraction string (`"8/255"`); parses to the number.
 * Negative and non-finite radii are refused. Its JSON Schema is the input form (a number or a fraction string).
 */
export const radiusSchema = allowTransform(
  z
    .union([z.number(), z.string().regex(NUMBER_OR_FRACTION)], { error: RADIUS_EXPECTED })
    .pipe(z.transform((value) => (typeof value === 'number' ? value : parseFraction(value))))
    .pipe(z.number({ error: RADIUS_EXPECTED }).nonnegative({ error: RADIUS_EXPECTED })),
);

/**
 * The `eps` option every attack shares: one radius or a non-empty list of them (a robustness curve), each as
 * {@link radiusSchema}. Add {@link checkRadii} to the config object to refuse L-inf radii above 1.
 */
export const epsSchema = z.union([radiusSchema, z.array(radiusSchema).min(1)], {
  error: `${RADIUS_EXPECTED}, or a non-empty list of them`,
});

/** The radii of a parsed `eps` option, as a list. */
export const radiiOf = (eps: number | readonly number[]): number[] => (typeof eps === 'number' ? [eps] : [...eps]);

/**
 * A refinement (`.superRefine`) of an attack config with `norm` and `eps`: an L-inf radius above 1 exceeds the whole
 * pixel range, so every image would be attacked without bound and robust accuracy would read as a meaningless 0.
 */
export function checkRadii(
  config: { readonly norm: ThreatModel['norm']; readonly eps: number | readonly number[] },
  ctx: z.RefinementCtx,
): void {
  if (config.norm !== 'Linf') return;
  radiiOf(config.eps).forEach((eps, i) => {
    if (eps > 1) {
      const path = typeof config.eps === 'number' ? ['eps'] : ['eps', i];
      ctx.addIssue({
        code: 'custom',
        path,
        message: `an L-inf radius must be at most 1 (the whole [0,1] pixel range), got ${eps}`,
      });
    }
  });
}
