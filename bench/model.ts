import * as tf from '@tensorflow/tfjs';
import { findPreset } from '../src/core/model/architecture.js';
import type { ViTConfig } from '../src/core/model/architecture.js';
import { adaptModel } from '../src/core/model/adapt.js';
import { VisionTransformer } from '../src/core/model/vit.js';
import { Rng } from '../src/core/tensor/rng.js';
import { fullFineTuning } from '../src/plugins/strategies/full.js';
import { medianSeconds } from './timing.js';

/** One model row: a preset at a batch size, timed `repeats` times after {@link MODEL_WARMUP} warm-up calls. */
export interface ModelCase {
  readonly preset: string;
  readonly batch: number;
  readonly repeats: number;
}

/** Images/s of one model row. */
export interface ModelRates {
  readonly forward: number;
  readonly train: number;
  readonly pgd: number;
}

export const MODEL_WARMUP = 1;

export const CPU_CASES: readonly ModelCase[] = [
  { preset: 'vit-bench-32', batch: 64, repeats: 7 },
  { preset: 'vit-tiny-patch16-224', batch: 8, repeats: 3 },
];
/** On a GPU, the study's models at batch 64. */
const GPU_CASES: readonly ModelCase[] = [
  { preset: 'vit-bench-32', batch: 64, repeats: 7 },
  { preset: 'vit-tiny-patch16-224', batch: 64, repeats: 5 },
  { preset: 'vit-base-patch16-224', batch: 64, repeats: 3 },
];

/** The bench's 10-class configuration of a preset. */
export function benchConfig(preset: string): ViTConfig {
  return { ...(findPreset(preset)?.config as Omit<ViTConfig, 'numClasses'>), numClasses: 10 };
}

/** Forward, full fine-tuning step (Adam) and PGD step (input gradient + signed update) in images/s. */
export async function benchModels(): Promise<void> {
  console.log(
    `${'model'.padEnd(34)} ${'batch'.padStart(5)} ${'forward'.padStart(9)} ${'train'.padStart(9)} ${'PGD'.padStart(9)}  (images/s)`,
  );
  for (const modelCase of tf.getBackend() === 'webgpu' ? GPU_CASES : CPU_CASES) {
    const rates = await measureModel(modelCase);
    const rate = (r: number): string => r.toFixed(1).padStart(9);
    console.log(
      `${modelCase.preset.padEnd(34)} ${String(modelCase.batch).padStart(5)} ${rate(rates.forward)} ${rate(rates.train)} ${rate(rates.pgd)}`,
    );
  }
}

/** A bench model, a batch of its random pixels, and the cross-entropy on that batch's labels. */
export interface BenchModel {
  readonly model: VisionTransformer;
  readonly pixels: tf.Tensor4D;
  readonly loss: (x: tf.Tensor4D) => tf.Scalar;
  dispose(): void;
}

/** The preset's bench configuration with random weights, all of them trainable (full fine-tuning), at `batch`. */
export function benchModel(preset: string, batch: number): BenchModel {
  const config = benchConfig(preset);
  const rng = Rng.fromSeed(0);
  const model = VisionTransformer.random(config, rng);
  adaptModel(model, [{ plugin: fullFineTuning, config: {} }], rng);
  const size = config.imageSize;
  const pixels = tf.tensor4d(rng.uniformArray(batch * size * size * 3), [batch, size, size, 3]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 10),
      'int32',
    ),
    10,
  ) as tf.Tensor2D;
  return {
    model,
    pixels,
    loss: (x) => tf.losses.softmaxCrossEntropy(labels, model.logits(x)) as tf.Scalar,
    dispose: () => {
      tf.dispose([pixels, labels]);
      model.dispose();
    },
  };
}

/** Times one model row on the current backend: forward, full fine-tuning step (Adam), PGD step. */
export async function measureModel({ preset, batch, repeats }: ModelCase): Promise<ModelRates> {
  const bench = benchModel(preset, batch);
  const { model, pixels, loss } = bench;
  const optimizer = tf.train.adam(1e-4);
  const variables = model.trainableVariables();
  const time = (run: () => Promise<void>): Promise<number> => medianSeconds(run, MODEL_WARMUP, repeats);

  const forward = await time(async () => {
    const logits = tf.tidy(() => model.logits(pixels));
    await logits.data();
    logits.dispose();
  });
  const train = await time(async () => {
    const value = optimizer.minimize(() => loss(pixels), true, variables) as tf.Scalar;
    await value.data();
    value.dispose();
  });
  for (const v of variables) v.trainable = false; // an attack differentiates only with respect to the pixels
  let adversarial = pixels.clone();
  const pgd = await time(async () => {
    const next = tf.tidy(() => {
      const grad = tf.grad((x) => loss(x as tf.Tensor4D))(adversarial);
      return tf.clipByValue(tf.add(adversarial, tf.mul(tf.sign(grad), 0.25 / 255)), 0, 1) as tf.Tensor4D;
    });
    await next.data();
    adversarial.dispose();
    adversarial = next;
  });
  adversarial.dispose();
  optimizer.dispose();
  bench.dispose();
  return { forward: batch / forward, train: batch / train, pgd: batch / pgd };
}
