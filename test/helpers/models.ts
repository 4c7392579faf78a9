import * as tf from '@tensorflow/tfjs';
import type { VisionTransformer } from '../../src/core/model/vit.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { tinyModel } from '../../src/testing/models.js';

export { TINY, tinyModel, toyData, trainedTinyModel } from '../../src/testing/models.js';

/** A fixed batch of pixels and labels for TINY. */
export function tinyBatch(n = 6, seed = 1): { pixels: tf.Tensor4D; labels: tf.Tensor2D } {
  const rng = Rng.fromSeed(seed);
  const pixels = tf.tensor4d(rng.uniformArray(n * 8 * 8 * 3), [n, 8, 8, 3]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
    3,
  ) as tf.Tensor2D;
  return { pixels, labels };
}

/** Mean cross-entropy of the model on a batch. */
export const lossOn = (model: VisionTransformer, pixels: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar =>
  tf.losses.softmaxCrossEntropy(labels, model.logits(pixels)) as tf.Scalar;

/** One optimiser step over the model's trainable variables; returns the loss. */
export function trainStep(
  model: VisionTransformer,
  optimizer: tf.Optimizer,
  pixels: tf.Tensor4D,
  labels: tf.Tensor2D,
): number {
  const loss = optimizer.minimize(() => lossOn(model, pixels, labels), true, model.trainableVariables()) as tf.Scalar;
  const value = loss.dataSync()[0] as number;
  loss.dispose();
  return value;
}

/** Logits of the model on pixels, read out. */
export function logitsOf(model: VisionTransformer, pixels: tf.Tensor4D): Float32Array {
  const logits = tf.tidy(() => model.logits(pixels));
  const data = logits.dataSync() as Float32Array;
  logits.dispose();
  return data;
}

/** A TINY model (seed 5) saved as a Hugging Face checkpoint with its config.json, for runs started from the CLI. */
export async function tinyCheckpoint(dir: string): Promise<string> {
  const { saveCheckpoint } = await import('../../src/core/model/checkpoint.js');
  const model = tinyModel(5);
  try {
    return await saveCheckpoint(model, dir);
  } finally {
    model.dispose();
  }
}
