import { performance } from 'node:perf_hooks';
import { evaluate } from '../src/core/evaluation/evaluator.js';
import { findPreset } from '../src/core/model/architecture.js';
import type { ViTConfig } from '../src/core/model/architecture.js';
import { VisionTransformer } from '../src/core/model/vit.js';
import { Rng } from '../src/core/tensor/rng.js';
import { pgdAttack } from '../src/plugins/attacks/pgd.js';
import { accuracy } from '../src/plugins/metrics/accuracy.js';

/** Seconds of one evaluation point: clean accuracy and PGD-15 (the study's defaults) on 256 test images. */
export async function benchEvaluationPoint(): Promise<void> {
  const config: ViTConfig = {
    ...(findPreset('vit-bench-32')?.config as Omit<ViTConfig, 'numClasses'>),
    numClasses: 10,
  };
  const rng = Rng.fromSeed(0);
  const model = VisionTransformer.random(config, rng);
  const count = 256;
  const pixels = Uint8Array.from({ length: count * 32 * 32 * 3 }, () => rng.int(0, 255));
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  const plan = {
    sets: [
      {
        context: { split: 'test' },
        images: { pixels, labels, count, height: 32, width: 32, channels: 3 as const },
        robustness: true,
      },
    ],
    attacks: [{ plugin: pgdAttack, config: pgdAttack.configSchema.parse({}) }],
    shifts: [],
    metrics: [{ plugin: accuracy, config: { k: 1 } }],
    batchSize: 64,
    rng: rng.fork('evaluation'),
  };
  await evaluate(model, plan, 0, 0); // warm-up
  const start = performance.now();
  const points = await evaluate(model, plan, 0, 0);
  const seconds = (performance.now() - start) / 1000;
  const [clean, robust] = points.map((p) => p.seconds);
  console.log(
    `evaluation point (vit-bench-32, 256 test images, clean + PGD-15 L-inf 1/255, batch 64): ${seconds.toFixed(2)} s (clean ${clean?.toFixed(2)} s, PGD ${robust?.toFixed(2)} s)`,
  );
  model.dispose();
}
