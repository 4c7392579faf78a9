import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/contracts/config.js';
import type { DatasetSplit, ImageBatch } from '../../src/core/contracts/dataset.js';
import { evaluate } from '../../src/core/evaluation/evaluator.js';
import type { EvaluationPlan } from '../../src/core/evaluation/evaluator.js';
import { findPreset } from '../../src/core/model/architecture.js';
import { bytesPerImage, heapLimit, microBatchSize, WASM_HEAP_LIMIT } from '../../src/core/model/footprint.js';
import type { VisionTransformer } from '../../src/core/model/vit.js';
import { microBatchRanges } from '../../src/core/tensor/micro-batch.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { train } from '../../src/core/training/trainer.js';
import { pgdAttack } from '../../src/plugins/attacks/pgd.js';
import { accuracy as accuracyMetric } from '../../src/plugins/metrics/accuracy.js';
import { TINY, tinyModel, trainedTinyModel } from '../helpers/models.js';

/** `n` uint8 images for TINY: class c has channel c brighter, plus noise. */
function toyImages(n: number, seed: number): ImageBatch {
  const rng = Rng.fromSeed(seed);
  const pixels = new Uint8Array(n * 8 * 8 * 3);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 64 * 3; p++)
      pixels[i * 192 + p] = Math.round(
        255 * Math.min(1, Math.max(0, 0.35 + (p % 3 === labels[i] ? 0.2 : 0) + 0.12 * rng.normal())),
      );
  }
  return { pixels, labels, count: n, height: 8, width: 8, channels: 3 };
}

function inMemorySplit(images: ImageBatch): DatasetSplit {
  const size = 8 * 8 * 3;
  return {
    size: images.count,
    labels: images.labels,
    read: async (indices) => {
      const picked = Array.from(indices);
      const pixels = new Uint8Array(picked.length * size);
      picked.forEach((index, k) => pixels.set(images.pixels.subarray(index * size, (index + 1) * size), k * size));
      return {
        ...images,
        pixels,
        labels: Int32Array.from(picked, (i) => images.labels[i] as number),
        count: picked.length,
      };
    },
  };
}

const maxDifference = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

describe('micro-batch ranges', () => {
  it('cover the batch in the fewest passes of at most the size, as equal as possible', () => {
    expect(microBatchRanges(64, 40)).toEqual([
      [0, 32],
      [32, 64],
    ]);
    expect(microBatchRanges(7, 3)).toEqual([
      [0, 2],
      [2, 5],
      [5, 7],
    ]);
    expect(microBatchRanges(5, 8)).toEqual([[0, 5]]);
    expect(() => microBatchRanges(5, 0)).toThrow('micro-batch size must be a positive integer, got 0');
  });
});

describe('micro-batch size from the architecture and the backend', () => {
  const vitB16 = {
    ...(findPreset('vit-base-patch16-224')?.config as NonNullable<ReturnType<typeof findPreset>>['config']),
    numClasses: 10,
  };

  it('takes the whole batch where it fits, a requested size as given, and nothing is split off a heap without a limit', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(heapLimit()).toBe(WASM_HEAP_LIMIT);
    expect(heapLimit('cpu')).toBeUndefined();
    expect(microBatchSize({ architecture: TINY, pass: 'train', batchSize: 128 })).toBe(128);
    expect(microBatchSize({ architecture: TINY, pass: 'train', batchSize: 128, requested: 5 })).toBe(5);
    expect(microBatchSize({ architecture: TINY, pass: 'forward', batchSize: 4, requested: 16 })).toBe(4);
  });

  it('splits ViT-B/16 batches on wasm: about 1.2 GB an image for an attack gradient, about 55 MB forward', () => {
    expect(bytesPerImage(vitB16, 'forward') / 2 ** 20).toBeGreaterThan(50);
    expect(bytesPerImage(vitB16, 'forward') / 2 ** 20).toBeLessThan(60);
    expect(bytesPerImage(vitB16, 'attack') / 2 ** 30).toBeGreaterThan(1.1);
    expect(bytesPerImage(vitB16, 'attack') / 2 ** 30).toBeLessThan(1.3);
    expect(microBatchSize({ architecture: vitB16, pass: 'attack', batchSize: 64 })).toBe(2);
    expect(microBatchSize({ architecture: vitB16, pass: 'forward', batchSize: 64 })).toBeGreaterThanOrEqual(32);
  });

  it('refuses in one line, naming the model, the backend and what to do, when not one image fits', () => {
    const huge = { ...vitB16, imageSize: 448 };
    const attempt = () => microBatchSize({ architecture: huge, pass: 'train', batchSize: 128, fixedBytes: 2 ** 30 });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /^ViT \(448 px, patch 16, 12 layers, hidden 768\) does not fit one image of a training step in the wasm backend's 4096 MiB heap: it needs about \d+ MiB beside the \d+ MiB already in use; use a parameter-efficient strategy, a smaller model, or a backend without this limit \(--backend\)$/,
    );
  });
});

describe('micro-batched work equals the unsplit batch', () => {
  const images = toyImages(14, 21);
  let model: VisionTransformer;
  beforeAll(() => {
    model = trainedTinyModel(40);
  });
  afterAll(() => model.dispose());

  /** Four AdamW steps of full fine-tuning on batches of 7 with clipping that bites; the weights and step events. */
  async function fineTune(
    microBatch?: number,
  ): Promise<{ weights: Float32Array[]; losses: number[]; norms: number[]; largestPass: number }> {
    const learner = tinyModel(7);
    learner.addAdaptation({ trains: () => true, added: new Map(), hooks: {} });
    const passes = vi.spyOn(learner, 'logits');
    const losses: number[] = [];
    const norms: number[] = [];
    await train({
      model: learner,
      data: inMemorySplit(images),
      indices: Int32Array.from({ length: 14 }, (_, i) => i),
      batchSize: 7,
      ...(microBatch === undefined ? {} : { microBatch }),
      totalSteps: 4,
      schedule: { name: 'constant', peak: 1e-2, warmupSteps: 0, totalSteps: 4 },
      optimizer: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, maxGradNorm: 0.5 },
      rng: Rng.fromSeed(3),
      evaluationSteps: [],
      evaluate: async () => 0,
      onStep: ({ loss, gradNorm }) => {
        losses.push(loss);
        norms.push(gradNorm);
      },
    });
    const weights = await Promise.all(learner.trainableVariables().map(async (v) => (await v.data()) as Float32Array));
    learner.dispose();
    const largestPass = Math.max(...passes.mock.calls.map(([pixels]) => pixels.shape[0]));
    return { weights, losses, norms, largestPass };
  }

  it("training: micro-batches of 3 and 1 give the unsplit run's losses and gradient norms within 1e-5, weights within 5e-5", async () => {
    const whole = await fineTune();
    expect(whole.norms.every((n) => n > 0.5)).toBe(true); // clipping acts on every step
    for (const microBatch of [3, 1]) {
      const split = await fineTune(microBatch);
      expect(split.largestPass).toBe(microBatch);
      split.losses.forEach((loss, i) => expect(Math.abs(loss - (whole.losses[i] as number))).toBeLessThan(1e-5));
      split.norms.forEach((norm, i) =>
        expect(Math.abs(norm - (whole.norms[i] as number)) / (whole.norms[i] as number)).toBeLessThan(1e-5),
      );
      // Adam divides by the root of the second moment, so rounding in near-zero gradient components (summed in
      // another order) moves weights a little more than the loss: measured up to 1.4e-5 after four steps.
      split.weights.forEach((w, i) => expect(maxDifference(w, whole.weights[i] as Float32Array)).toBeLessThan(5e-5));
    }
  });

  it("PGD: micro-batches give the unsplit batch's adversarial images bit for bit (random starts, restarts, eps list, L2)", async () => {
    const pixels = tf.tensor4d(
      Float32Array.from(images.pixels, (v) => v / 255),
      [14, 8, 8, 3],
    );
    const labels = tf.tensor1d(images.labels, 'int32');
    const attack = async (overrides: object, microBatch?: number): Promise<Float32Array[]> => {
      const config = pgdAttack.configSchema.parse({ steps: 3, eps: [2 / 255, 8 / 255], restarts: 2, ...overrides });
      const results = await model.withFrozenWeights(() =>
        pgdAttack.perturb({
          model,
          pixels,
          labels,
          config,
          rng: Rng.fromSeed(9),
          ...(microBatch === undefined ? {} : { microBatch }),
        }),
      );
      const values = await Promise.all(results.map(async (r) => (await r.pixels.data()) as Float32Array));
      tf.dispose(results.map((r) => r.pixels));
      return values;
    };
    const passes = vi.spyOn(model, 'logits');
    for (const [overrides, microBatch] of [
      [{}, 3],
      [{ norm: 'L2', eps: 0.3 }, 5],
      [{ correctOnly: true }, 5],
    ] as const) {
      const whole = await attack(overrides);
      passes.mockClear();
      expect(await attack(overrides, microBatch)).toEqual(whole);
      expect(Math.max(...passes.mock.calls.map(([x]) => x.shape[0]))).toBe(microBatch);
    }
    passes.mockRestore();
    tf.dispose([pixels, labels]);
  });

  it("evaluation: clean and PGD accuracy with micro-batches of 4 equal the unsplit batch's exactly", async () => {
    const plan = (microBatch?: number): EvaluationPlan => ({
      sets: [{ context: { split: 'test' }, images, robustness: true }],
      attacks: [{ plugin: pgdAttack, config: pgdAttack.configSchema.parse({ steps: 2, eps: 4 / 255 }) }],
      shifts: [],
      metrics: [{ plugin: accuracyMetric, config: accuracyMetric.configSchema.parse({}) }],
      batchSize: 14,
      ...(microBatch === undefined ? {} : { microBatch }),
      rng: Rng.fromSeed(5),
    });
    const values = async (microBatch?: number): Promise<Array<[string, number]>> =>
      (await evaluate(model, plan(microBatch), 0, 0)).map((p) => [JSON.stringify(p.context), p.value]);
    const whole = await values();
    expect(whole).toHaveLength(2);
    const passes = vi.spyOn(model, 'logits');
    expect(await values(4)).toEqual(whole);
    expect(new Set(passes.mock.calls.map(([x]) => x.shape[0]))).toEqual(new Set([4, 3]));
    passes.mockRestore();
  });
});
