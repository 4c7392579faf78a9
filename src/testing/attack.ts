import * as tf from '@tensorflow/tfjs-core';
import type { AttackPlugin, AttackResult } from '../core/contracts/attack.js';
import { attackViolations } from '../core/evaluation/attack-check.js';
import { assertNoTensorLeaks } from '../core/tensor/memory.js';
import { Rng } from '../core/tensor/rng.js';
import { FindingList, parsedConfig } from './findings.js';
import type { Finding } from './findings.js';
import { tinyClassifier, toyData } from './models.js';

export interface AttackCheckOptions {
  /** The attack's config (validated against its schema first); default `{}`. */
  readonly config?: unknown;
  /** The seed of the attack's random stream; default 0. */
  readonly seed?: number;
  /** Images attacked; default 12. */
  readonly images?: number;
}

/**
 * Checks an attack against its contract on the tiny toy classifier, under frozen weights as paretune runs it.
 * Rules: `definition`, `config`, `threat-models` (declares at least one and returns exactly those, in order),
 * `perturb` (does not throw), `shape`, `finite`, `pixel-range` ([0,1]), `radius` (within each declared radius),
 * `deterministic` (the same pixels under the same seed) and `no-leaks`.
 */
export async function checkAttack(plugin: AttackPlugin, options: AttackCheckOptions = {}): Promise<Finding[]> {
  const list = new FindingList(plugin);
  const parsed = await parsedConfig(plugin, options.config, list);
  if (parsed === undefined) return list.findings;
  const config = parsed.value;
  const threats = await list.guard('threat-models', () => plugin.threatModels(config));
  if (threats === undefined) return list.findings;
  if (threats.length === 0)
    list.add('threat-models', 'threatModels() declares no threat model, so it measures nothing');
  const model = await tinyClassifier();
  const { pixels, labels } = toyData(options.images ?? 12, 21);
  const perturb = (): Promise<readonly AttackResult[]> =>
    model.withFrozenWeights(() =>
      plugin.perturb({ model, pixels, labels, config, rng: Rng.fromSeed(options.seed ?? 0) }),
    );
  try {
    const first = await list.guard('perturb', perturb);
    if (first === undefined) return list.findings;
    for (const { rule, message } of await attackViolations(plugin, config, pixels, first)) list.add(rule, message);
    const firstPixels = await Promise.all(first.map((r) => r.pixels.data()));
    tf.dispose(first.map((r) => r.pixels));
    // The first call was the warm-up (an attack may cache state); the second must leave the tensor count unchanged.
    let second: tf.TypedArray[] = [];
    await list.guard('no-leaks', () =>
      assertNoTensorLeaks(
        1,
        async () => {
          const results = await perturb();
          second = await Promise.all(results.map((r) => r.pixels.data()));
          tf.dispose(results.map((r) => r.pixels));
        },
        { warmup: 0 },
      ),
    );
    const differs = firstPixels.findIndex((values, i) => !sameValues(values, second[i]));
    if (second.length !== firstPixels.length || differs >= 0) {
      const which = differs >= 0 ? `result ${differs}` : `${second.length} results, then ${firstPixels.length}`;
      list.add('deterministic', `two calls with the same seed and inputs returned different pixels (${which})`);
    }
  } finally {
    model.dispose();
    tf.dispose([pixels, labels]);
  }
  return list.findings;
}

/** Bit-identical values (NaN equals NaN). */
export const sameValues = (a: tf.TypedArray, b: tf.TypedArray | undefined): boolean =>
  b !== undefined && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
