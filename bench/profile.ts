import * as tf from '@tensorflow/tfjs';
import { adaptModel } from '../src/core/model/adapt.js';
import { VisionTransformer } from '../src/core/model/vit.js';
import { Rng } from '../src/core/tensor/rng.js';
import { fullFineTuning } from '../src/plugins/strategies/full.js';
import { benchConfig } from './model.js';

const BATCH = 64;

/**
 * Time per kernel (summed over calls, grouped by kernel and input shapes) of one full fine-tuning step and one PGD
 * step of the CPU bench model at batch 64: where the bench's model rows spend their time.
 */
export async function profileSteps(top = 12): Promise<void> {
  const config = benchConfig('vit-bench-32');
  const rng = Rng.fromSeed(0);
  const model = VisionTransformer.random(config, rng);
  adaptModel(model, [{ plugin: fullFineTuning, config: {} }], rng);
  const size = config.imageSize;
  const pixels = tf.tensor4d(rng.uniformArray(BATCH * size * size * 3), [BATCH, size, size, 3]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 10),
      'int32',
    ),
    10,
  ) as tf.Tensor2D;
  const loss = (x: tf.Tensor4D): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.logits(x)) as tf.Scalar;
  const optimizer = tf.train.adam(1e-4);
  const variables = model.trainableVariables();
  await profileStep('one training step', top, async () => {
    const value = optimizer.minimize(() => loss(pixels), true, variables) as tf.Scalar;
    await value.data();
    value.dispose();
  });
  console.log();
  for (const v of variables) v.trainable = false; // an attack differentiates only with respect to the pixels
  await profileStep('one PGD step', top, async () => {
    const next = tf.tidy(() => {
      const grad = tf.grad((x) => loss(x as tf.Tensor4D))(pixels);
      return tf.clipByValue(tf.add(pixels, tf.mul(tf.sign(grad), 0.25 / 255)), 0, 1);
    });
    await next.data();
    next.dispose();
  });
  tf.dispose([pixels, labels]);
  optimizer.dispose();
  model.dispose();
}

async function profileStep(label: string, top: number, step: () => Promise<void>): Promise<void> {
  await step();
  const info = await tf.profile(step);
  // Custom gradients (the dense layers) appear as entries named after their scope, timed with the kernels inside
  // them, which are listed too: only registered kernels count.
  const kernels = info.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s?.join('x')}]`).join(' ')}`;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(key, entry);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(
    `kernel time of ${label} (vit-bench-32, batch ${BATCH}): ${total.toFixed(0)} ms in ${kernels.length} kernel calls; top ${top}:`,
  );
  for (const [key, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(
      `${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}% ${String(e.calls).padStart(4)}x  ${key}`,
    );
  }
}
