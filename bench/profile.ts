import * as tf from '@tensorflow/tfjs';
import { benchModel } from './model.js';

const BATCH = 64;

/**
 * Time per kernel (summed over calls, grouped by kernel and input shapes) of one full fine-tuning step and one PGD
 * step of the CPU bench model at batch 64: where the bench's model rows spend their time.
 */
export async function profileSteps(top = 12): Promise<void> {
  const bench = benchModel('vit-bench-32', BATCH);
  const { model, pixels, loss } = bench;
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
  optimizer.dispose();
  bench.dispose();
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
