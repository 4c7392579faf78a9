import * as tf from '@tensorflow/tfjs';
import { findPreset } from '../src/core/model/architecture.js';
import type { ViTConfig } from '../src/core/model/architecture.js';
import { adaptModel } from '../src/core/model/adapt.js';
import { VisionTransformer } from '../src/core/model/vit.js';
import { Rng } from '../src/core/tensor/rng.js';
import { fullFineTuning } from '../src/plugins/strategies/full.js';
import { medianSeconds } from './timing.js';

interface ModelCase {
  readonly preset: string;
  readonly batch: number;
  readonly repeats: number;
}

const CPU_CASES: readonly ModelCase[] = [
  { preset: 'vit-bench-32', batch: 64, repeats: 7 },
  { preset: 'vit-tiny-patch16-224', batch: 8, repeats: 3 },
];
/** On a GPU, the study's models at batch 64. */
const GPU_CASES: readonly ModelCase[] = [
  { preset: 'vit-bench-32', batch: 64, repeats: 7 },
  { preset: 'vit-tiny-patch16-224', batch: 64, repeats: 5 },
  { preset: 'vit-base-patch16-224', batch: 64, repeats: 3 },
];

/** Forward, full fine-tuning step (Adam) and PGD step (input gradient + signed update) in images/s. */
export async function benchModels(): Promise<void> {
  console.log(
    `${'model'.padEnd(34)} ${'batch'.padStart(5)} ${'forward'.padStart(9)} ${'train'.padStart(9)} ${'PGD'.padStart(9)}  (images/s)`,
  );
  for (const { preset, batch, repeats } of tf.getBackend() === 'webgpu' ? GPU_CASES : CPU_CASES) {
    const config: ViTConfig = { ...(findPreset(preset)?.config as Omit<ViTConfig, 'numClasses'>), numClasses: 10 };
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
    const optimizer = tf.train.adam(1e-4);
    const variables = model.trainableVariables();
    const loss = (x: tf.Tensor4D): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.logits(x)) as tf.Scalar;

    const forward = await medianSeconds(
      async () => {
        const logits = tf.tidy(() => model.logits(pixels));
        await logits.data();
        logits.dispose();
      },
      1,
      repeats,
    );
    const train = await medianSeconds(
      async () => {
        const value = optimizer.minimize(() => loss(pixels), true, variables) as tf.Scalar;
        await value.data();
        value.dispose();
      },
      1,
      repeats,
    );
    for (const v of variables) v.trainable = false; // an attack differentiates only with respect to the pixels
    let adversarial = pixels.clone();
    const pgd = await medianSeconds(
      async () => {
        const next = tf.tidy(() => {
          const grad = tf.grad((x) => loss(x as tf.Tensor4D))(adversarial);
          return tf.clipByValue(tf.add(adversarial, tf.mul(tf.sign(grad), 0.25 / 255)), 0, 1) as tf.Tensor4D;
        });
        await next.data();
        adversarial.dispose();
        adversarial = next;
      },
      1,
      repeats,
    );
    const rate = (s: number): string => (batch / s).toFixed(1).padStart(9);
    console.log(`${preset.padEnd(34)} ${String(batch).padStart(5)} ${rate(forward)} ${rate(train)} ${rate(pgd)}`);
    tf.dispose([pixels, labels, adversarial]);
    optimizer.dispose();
    model.dispose();
  }
}
