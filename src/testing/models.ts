import * as tf from '@tensorflow/tfjs-core';
import type { ViTConfig } from '../core/model/architecture.js';
import { VisionTransformer } from '../core/model/vit.js';
import { Rng } from '../core/tensor/rng.js';

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

/** A randomly initialised {@link TINY} model; the seed fixes every weight. */
export const tinyModel = (seed = 0): VisionTransformer => VisionTransformer.random(TINY, Rng.fromSeed(seed));

/**
 * A learnable toy task for TINY: class c has channel c brighter, plus noise. Attacks and evaluation need a model
 * that actually classifies, and a model trained on this does.
 */
export function toyData(n: number, seed: number): { pixels: tf.Tensor4D; labels: tf.Tensor1D } {
  const rng = Rng.fromSeed(seed);
  const values = new Float32Array(n * 8 * 8 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 64; p++) {
      for (let c = 0; c < 3; c++) {
        values[(i * 64 + p) * 3 + c] = Math.min(
          1,
          Math.max(0, 0.35 + (c === labels[i] ? 0.2 : 0) + 0.12 * rng.normal()),
        );
      }
    }
  }
  return { pixels: tf.tensor4d(values, [n, 8, 8, 3]), labels: tf.tensor1d(labels, 'int32') };
}

/** TINY trained with full fine-tuning (Adam) on {@link toyData} until it classifies most training images. */
export function trainedTinyModel(steps = 80): VisionTransformer {
  const model = tinyModel(3);
  const { pixels, labels } = toyData(48, 11);
  const oneHot = tf.oneHot(labels, 3) as tf.Tensor2D;
  model.addAdaptation({ trains: () => true, added: new Map(), hooks: {} });
  const optimizer = tf.train.adam(3e-3);
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(oneHot, model.logits(pixels)) as tf.Scalar;
  for (let i = 0; i < steps; i++) optimizer.minimize(loss, false, model.trainableVariables());
  optimizer.dispose();
  tf.dispose([pixels, labels, oneHot]);
  return model;
}

let classifierWeights: Promise<Map<string, Float32Array>> | undefined;

/**
 * A fresh copy of {@link trainedTinyModel}: trained once per process, then rebuilt from its weights (training takes
 * seconds on the wasm backend; a copy, milliseconds).
 */
export async function tinyClassifier(): Promise<VisionTransformer> {
  classifierWeights ??= (async () => {
    const model = trainedTinyModel();
    try {
      const weights = new Map<string, Float32Array>();
      for (const { name } of model.parameters) weights.set(name, await model.read(name));
      return weights;
    } finally {
      model.dispose();
    }
  })();
  return new VisionTransformer(TINY, await classifierWeights);
}
