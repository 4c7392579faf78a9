import * as tf from '@tensorflow/tfjs';
import type { ViTConfig } from '../../src/core/model/architecture.js';
import { VisionTransformer } from '../../src/core/model/vit.js';
import { Rng } from '../../src/core/tensor/rng.js';

/** A ViT small enough to train in milliseconds: 8 px, patch 4, hidden 16, 2 layers, 2 heads, 3 classes. */
export const TINY: ViTConfig = {
  imageSize: 8,
  patchSize: 4,
  numChannels: 3,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 32,
  numClasses: 3,
  layerNormEps: 1e-12,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};

export const tinyModel = (seed = 0): VisionTransformer => VisionTransformer.random(TINY, Rng.fromSeed(seed));

/** A fixed batch of pixels and labels for TINY. */
export function tinyBatch(n = 6, seed = 1): { pixels: tf.Tensor4D; labels: tf.Tensor2D } {
  const rng = Rng.fromSeed(seed);
  const pixels = tf.tensor4d(rng.uniformArray(n * 8 * 8 * 3), [n, 8, 8, 3]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 3), 'int32'), 3) as tf.Tensor2D;
  return { pixels, labels };
}

/** Mean cross-entropy of the model on a batch. */
export const lossOn = (model: VisionTransformer, pixels: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar =>
  tf.losses.softmaxCrossEntropy(labels, model.logits(pixels)) as tf.Scalar;

/** One optimiser step over the model's trainable variables; returns the loss. */
export function trainStep(model: VisionTransformer, optimizer: tf.Optimizer, pixels: tf.Tensor4D, labels: tf.Tensor2D): number {
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

/**
 * A learnable toy task for TINY: class c has channel c brighter, plus noise. Used to train models inside tests
 * (attack and evaluation properties need a model that actually classifies).
 */
export function toyData(n: number, seed: number): { pixels: tf.Tensor4D; labels: tf.Tensor1D } {
  const rng = Rng.fromSeed(seed);
  const values = new Float32Array(n * 8 * 8 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 64; p++) {
      for (let c = 0; c < 3; c++) values[(i * 64 + p) * 3 + c] = Math.min(1, Math.max(0, 0.35 + (c === labels[i] ? 0.2 : 0) + 0.12 * rng.normal()));
    }
  }
  return { pixels: tf.tensor4d(values, [n, 8, 8, 3]), labels: tf.tensor1d(labels, 'int32') };
}

/** TINY trained with full fine-tuning on {@link toyData} until it classifies most training images. */
export function trainedTinyModel(steps = 80): VisionTransformer {
  const model = tinyModel(3);
  const { pixels, labels } = toyData(48, 11);
  const oneHot = tf.oneHot(labels, 3) as tf.Tensor2D;
  model.addAdaptation({ trains: () => true, added: new Map(), hooks: {} });
  const optimizer = tf.train.adam(3e-3);
  for (let i = 0; i < steps; i++) trainStep(model, optimizer, pixels, oneHot);
  optimizer.dispose();
  tf.dispose([pixels, labels, oneHot]);
  return model;
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
