import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adaptModel } from '../../src/core/model/adapt.js';
import { loadCheckpoint } from '../../src/core/model/checkpoint.js';
import { VisionTransformer } from '../../src/core/model/vit.js';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { sumTensors } from '../../src/core/tensor/ops.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { GpuError, GpuMemoryError } from '../../src/core/tensor/webgpu.js';
import { AdamW, decays } from '../../src/core/training/adamw.js';
import { pgdAttack } from '../../src/plugins/attacks/pgd.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import type { StrategyPlugin } from '../../src/core/contracts/index.js';
import { relativeError, TINY, VIT_REFERENCE_DIR, vitReference } from '../helpers/index.js';
import { maxAbsDifference, onWasm, onWebGpu, TOLERANCE, values } from './helpers.js';

const fixture = VIT_REFERENCE_DIR;
const expected = vitReference;

const strategies = builtinPlugins.filter((p): p is StrategyPlugin => p.family === 'strategy');

function batch(n = 6): { pixels: tf.Tensor4D; labels: tf.Tensor1D } {
  const rng = Rng.fromSeed(1);
  const pixels = tf.tensor4d(rng.uniformArray(n * 8 * 8 * 3), [n, 8, 8, 3]);
  return {
    pixels,
    labels: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
  };
}

/** Two AdamW steps of one strategy on a fresh TINY model; the trained values, the losses and the tensor counts. */
async function trainTwoSteps(name: string): Promise<{ trained: Float32Array; losses: number[] }> {
  const model = VisionTransformer.random(TINY, Rng.fromSeed(0));
  const strategy = strategies.find((s) => s.meta.name === name) as StrategyPlugin;
  adaptModel(model, [{ plugin: strategy, config: strategy.configSchema.parse({}) }], Rng.fromSeed(2));
  const trainable = model.trainableParameters();
  const optimizer = new AdamW(
    trainable.map(({ name: n, variable }) => ({ name: n, variable, decay: decays(n) })),
    {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      maxGradNorm: 1,
    },
  );
  const { pixels, labels } = batch();
  const oneHot = tf.oneHot(labels, 3) as tf.Tensor2D;
  const losses: number[] = [];
  const step = async (): Promise<void> => {
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(oneHot, model.logits(pixels)) as tf.Scalar,
      trainable.map((t) => t.variable),
    );
    losses.push((await value.data())[0] as number);
    await optimizer.apply(grads, 0.01);
    tf.dispose([value, ...Object.values(grads)]);
  };
  await assertNoTensorLeaks(1, step);
  const trained = new Float32Array(
    await Promise.all(trainable.map(async ({ variable }) => [...((await variable.data()) as Float32Array)])).then(
      (parts) => parts.flat(),
    ),
  );
  optimizer.dispose();
  tf.dispose([pixels, labels, oneHot]);
  model.dispose();
  return { trained, losses };
}

/** PGD on a fixed TINY model; the adversarial pixels. */
async function pgd(norm: 'Linf' | 'L2'): Promise<Float32Array> {
  const model = VisionTransformer.random(TINY, Rng.fromSeed(3));
  const { pixels, labels } = batch(8);
  const config = pgdAttack.configSchema.parse({ norm, eps: norm === 'Linf' ? 8 / 255 : 0.5, steps: 3 });
  const [result] = await model.withFrozenWeights(() =>
    pgdAttack.perturb({ model, pixels, labels, config, rng: Rng.fromSeed(4) }),
  );
  const adversarial = await values(result!.pixels);
  tf.dispose([pixels, labels]);
  model.dispose();
  return adversarial;
}

describe.skipIf(!onWebGpu)('numerics on webgpu, against the PyTorch reference and wasm', () => {
  it('reproduces the reference ViT: logits, CLS features, loss and the pixel gradient', async () => {
    const { model } = loadCheckpoint(join(fixture, 'model.safetensors'), {
      rng: Rng.fromSeed(0),
      overrides: { numHeads: expected.config.num_attention_heads },
    });
    const pixels = tf.tensor4d(expected.pixels.data, expected.pixels.shape as [number, number, number, number]);
    const labels = tf.oneHot(tf.tensor1d(expected.labels, 'int32'), model.numClasses);
    const { logits, cls } = tf.tidy(() => model.forward(pixels));
    const lossOf = (x: tf.Tensor4D): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.logits(x)) as tf.Scalar;
    const { value: loss, grad } = tf.tidy(() => tf.valueAndGrad(lossOf)(pixels));
    // wasm meets 1e-4 on logits and features (test/model/vit-reference.test.ts); lavapipe's erf costs an order.
    expect(relativeError(await values(logits), expected.logits.data)).toBeLessThanOrEqual(TOLERANCE);
    expect(relativeError(await values(cls), expected.cls_features.data)).toBeLessThanOrEqual(TOLERANCE);
    expect((await values(loss))[0]).toBeCloseTo(expected.loss, 3);
    expect(relativeError(await values(grad), expected.grad_pixels.data)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([pixels, labels]);
    model.dispose();
  });

  it('sums 20 tensors exactly with sumTensors, where one addN of more inputs than the device allows is an error', async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => tf.fill([5], i + 1));
    expect([...(await values(sumTensors(inputs)))]).toEqual(Array(5).fill(210));
    // A provoked validation error: WebGPU never throws it, so the read must (else it returns stale values).
    const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxStorageBuffersPerShaderStage;
    const tooMany = Array.from({ length: limit + 4 }, (_, i) => tf.fill([5], i + 1));
    const error = await values(tf.addN(tooMany)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as Error).message).toMatch(/storage buffers \(\d+\) .* exceeds the maximum per-stage limit/);
    // The next reads are good again.
    expect([...(await values(tf.add(inputs[0]!, inputs[1]!)))]).toEqual(Array(5).fill(3));
    tf.dispose([...inputs, ...tooMany]);
  });

  it('reports a tensor larger than the device allows as a GPU memory error that says to lower the batch size', async () => {
    const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxStorageBufferBindingSize;
    const big = tf.ones([Math.floor(limit / 4) + 1024]);
    const error = await values(tf.sum(tf.add(big, 1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuMemoryError);
    expect((error as Error).message).toMatch(
      /^the GPU has not enough memory for this batch \(.*\): lower the batch size$/,
    );
    big.dispose();
  });

  it('refuses a synchronous read of a GPU tensor with an error that says to await data()', async () => {
    // Large enough to be computed on the GPU (tfjs keeps small results on the CPU).
    const onGpu = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 4])));
    expect(() => onGpu.dataSync()).toThrow(GpuError);
    expect(() => onGpu.arraySync()).toThrow(/synchronous read .* read values with await tensor\.data\(\)$/);
    expect(new Set(await values(onGpu))).toEqual(new Set([64])); // the tensor is intact
  });

  it.each(strategies.map((s) => s.meta.name))(
    '%s: two AdamW steps train the same values as on wasm, without leaking tensors',
    async (name) => {
      const gpu = await trainTwoSteps(name);
      const cpu = await onWasm(() => trainTwoSteps(name));
      expect(maxAbsDifference(gpu.losses, cpu.losses)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDifference(gpu.trained, cpu.trained)).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it('PGD L2 finds the same adversarial pixels as on wasm', async () => {
    expect(maxAbsDifference(await pgd('L2'), await onWasm(() => pgd('L2')))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('PGD Linf finds the same adversarial pixels as on wasm, but where a gradient component is ~0', async () => {
    const gpu = await pgd('Linf');
    const cpu = await onWasm(() => pgd('Linf'));
    // Each step moves a pixel by +-stepRatio * eps with the gradient's sign: where a component is within rounding
    // of 0 the two backends may step opposite ways, so a few pixels differ by whole steps (measured: under 1%).
    const differing = gpu.filter((v, i) => Math.abs(v - (cpu[i] as number)) > TOLERANCE).length;
    expect(differing / gpu.length).toBeLessThanOrEqual(0.01);
    expect(maxAbsDifference(gpu, cpu)).toBeLessThanOrEqual(2 * (8 / 255) + TOLERANCE);
  });
});
