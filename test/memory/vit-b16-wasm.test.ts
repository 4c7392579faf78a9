import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../src/core/contracts/dataset.js';
import { evaluate } from '../../src/core/evaluation/evaluator.js';
import { findPreset } from '../../src/core/model/architecture.js';
import { VisionTransformer } from '../../src/core/model/vit.js';
import { runSpecSchema } from '../../src/core/runs/spec.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { train } from '../../src/core/training/trainer.js';
import { pgdAttack } from '../../src/plugins/attacks/pgd.js';
import { accuracy } from '../../src/plugins/metrics/accuracy.js';

/**
 * The study's backbone at its real shapes on the wasm backend, whose heap cannot grow past 4 GiB: before
 * micro-batching, PGD on 4 images aborted the process. A memory test, not a speed test: about 2.5 minutes of CPU
 * time, so it runs only where PARETUNE_TEST_HEAVY=1 (the CI script sets it).
 */
const enabled = tf.getBackend() === 'wasm' && process.env['PARETUNE_TEST_HEAVY'] === '1';
const IMAGES = 4;

/** Bytes the wasm heap has grown to: it never shrinks, so this is the peak so far. */
const heapBytes = (): number =>
  (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;

describe.runIf(enabled)('ViT-B/16 (224 px, random weights) on wasm at the default batch sizes', () => {
  const defaults = runSpecSchema.parse({ dataset: 'fashion-mnist', strategies: ['full'] });
  const preset = findPreset('vit-base-patch16-224');
  const rng = Rng.fromSeed(0);
  const pixels = new Uint8Array(IMAGES * 224 * 224 * 3).map(() => rng.int(0, 255));
  const images: ImageBatch = {
    pixels,
    labels: Int32Array.from({ length: IMAGES }, (_, i) => i % 10),
    count: IMAGES,
    height: 224,
    width: 224,
    channels: 3,
  };

  it(
    'evaluates clean and PGD (1 step) accuracy, then takes a full fine-tuning step, without exhausting the heap',
    { timeout: 900_000 },
    async () => {
      expect(preset).toBeDefined();
      const model = VisionTransformer.random(
        { ...(preset?.config as NonNullable<typeof preset>['config']), numClasses: 10 },
        rng.fork('model'),
      );
      try {
        let t0 = performance.now();
        const points = await evaluate(
          model,
          {
            sets: [{ context: { split: 'test' }, images, robustness: true }],
            attacks: [{ plugin: pgdAttack, config: pgdAttack.configSchema.parse({ steps: 1, eps: 1 / 255 }) }],
            shifts: [],
            metrics: [{ plugin: accuracy, config: accuracy.configSchema.parse({}) }],
            batchSize: defaults.evaluation.batchSize,
            rng: rng.fork('evaluation'),
          },
          0,
          0,
        );
        expect(points.map((p) => [p.context['attack'] ?? 'clean', p.count])).toEqual([
          ['clean', IMAGES],
          ['pgd', IMAGES],
        ]);
        expect(points.every((p) => p.value >= 0 && p.value <= 1)).toBe(true);
        const evaluation = { seconds: (performance.now() - t0) / 1000, heap: heapBytes() };

        model.addAdaptation({ trains: () => true, added: new Map(), hooks: {} });
        const losses: number[] = [];
        t0 = performance.now();
        await train({
          model,
          data: { size: IMAGES, labels: images.labels, read: async () => images },
          indices: Int32Array.from({ length: IMAGES }, (_, i) => i),
          batchSize: defaults.training.batchSize,
          totalSteps: 1,
          schedule: { name: 'linear', peak: 2e-5, warmupSteps: 0, totalSteps: 1 },
          optimizer: { ...defaults.training, weightDecay: 0.01 },
          rng: rng.fork('training'),
          evaluationSteps: [],
          evaluate: async () => 0,
          onStep: ({ loss }) => losses.push(loss),
        });
        expect(losses).toHaveLength(1);
        expect(Number.isFinite(losses[0])).toBe(true);
        const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
        console.log(
          `ViT-B/16 on wasm, ${IMAGES} images: evaluation ${evaluation.seconds.toFixed(0)} s, heap ${mib(evaluation.heap)} MiB; ` +
            `full fine-tuning step ${((performance.now() - t0) / 1000).toFixed(0)} s, heap ${mib(heapBytes())} MiB`,
        );
      } finally {
        model.dispose();
      }
    },
  );
});
