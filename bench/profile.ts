import * as tf from '@tensorflow/tfjs';
import { findPreset } from '../src/core/model/architecture.js';
import type { ViTConfig } from '../src/core/model/architecture.js';
import { adaptModel } from '../src/core/model/adapt.js';
import { VisionTransformer } from '../src/core/model/vit.js';
import { Rng } from '../src/core/tensor/rng.js';
import { fullFineTuning } from '../src/plugins/strategies/full.js';

/** Time per kernel (summed over calls) of one full fine-tuning step of the CPU bench model, batch 64. */
export async function profileTrainingStep(top = 12): Promise<void> {
  const config: ViTConfig = {
    ...(findPreset('vit-bench-32')?.config as Omit<ViTConfig, 'numClasses'>),
    numClasses: 10,
  };
  const rng = Rng.fromSeed(0);
  const model = VisionTransformer.random(config, rng);
  adaptModel(model, [{ plugin: fullFineTuning, config: {} }], rng);
  const pixels = tf.tensor4d(rng.uniformArray(64 * 32 * 32 * 3), [64, 32, 32, 3]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 64 }, (_, i) => i % 10),
      'int32',
    ),
    10,
  ) as tf.Tensor2D;
  const optimizer = tf.train.adam(1e-4);
  const step = async (): Promise<void> => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(labels, model.logits(pixels)) as tf.Scalar,
      true,
      model.trainableVariables(),
    );
    await loss?.data();
    loss?.dispose();
  };
  await step();
  const info = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s?.join('x')}]`).join(' ')}`;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(key, entry);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(
    `kernel time of one training step (vit-bench-32, batch 64): ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls; top ${top}:`,
  );
  for (const [key, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(
      `${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}% ${String(e.calls).padStart(4)}x  ${key}`,
    );
  }
  tf.dispose([pixels, labels]);
  optimizer.dispose();
  model.dispose();
}
