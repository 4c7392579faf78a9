import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { evaluationSteps } from '../../src/core/evaluation/schedules.js';
import { AdamW, decays } from '../../src/core/training/adamw.js';
import { learningRate } from '../../src/core/training/schedule.js';
import { seededSample, stratifiedSplit } from '../../src/core/training/split.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { newVariable } from '../../src/core/tensor/variables.js';

describe('learning-rate schedules (Hugging Face definitions)', () => {
  const cosine = { name: 'cosine' as const, peak: 5e-3, warmupSteps: 800, totalSteps: 2000 };
  it('warms up from 0 at step 0, peaks after warmup, and decays to 0', () => {
    expect(learningRate(cosine, 0)).toBe(0);
    expect(learningRate(cosine, 400)).toBeCloseTo(2.5e-3, 12);
    expect(learningRate(cosine, 800)).toBeCloseTo(5e-3, 12);
    expect(learningRate(cosine, 1400)).toBeCloseTo(2.5e-3, 12);
    expect(learningRate(cosine, 2000)).toBeCloseTo(0, 12);
    const linear = { name: 'linear' as const, peak: 2e-5, warmupSteps: 0, totalSteps: 100 };
    expect(learningRate(linear, 0)).toBe(2e-5);
    expect(learningRate(linear, 50)).toBeCloseTo(1e-5, 15);
    expect(learningRate(linear, 100)).toBe(0);
    expect(learningRate({ ...linear, name: 'constant' }, 70)).toBe(2e-5);
  });
});

describe('evaluation schedules (protocol.md §6)', () => {
  it('follows the public code by default and the paper on request', () => {
    expect(evaluationSteps('code', 1000)).toEqual([0, 50, 100, 120, 150, 180, 210, 240, 270, 300, 400, 600, 800, 1000]);
    expect(evaluationSteps('code', 40000).filter((s) => s > 1000)).toEqual([
      2000, 4000, 8000, 12000, 18000, 24000, 30000, 40000,
    ]);
    expect(evaluationSteps('paper', 13000).filter((s) => s > 600)).toEqual([
      650, 700, 1000, 2000, 3000, 6000, 12000, 13000,
    ]);
  });
  it('takes custom lists, adds step 0 and the last step, and refuses lists that are not increasing', () => {
    expect(evaluationSteps([10, 20, 100], 100)).toEqual([0, 10, 20, 100]);
    expect(() => evaluationSteps([0, 500], 10)).toThrow(
      'evaluation schedule: step 500 is beyond the last training step (10); train longer or drop them',
    );
    expect(() => evaluationSteps([5, 20, 30], 10)).toThrow(
      'evaluation schedule: steps 20, 30 are beyond the last training step (10)',
    );
    expect(() => evaluationSteps([10, 10], 100)).toThrow(
      'evaluation schedule: steps must be strictly increasing: step 1 (10) follows 10',
    );
    expect(() => evaluationSteps([-1], 100)).toThrow('step 0 (-1) is not a non-negative integer');
  });
});

describe('AdamW', () => {
  it('matches PyTorch AdamW arithmetic, decays only eligible weights, and clips the global norm', async () => {
    const w = newVariable(Float32Array.from([1, -2]), [2]);
    const b = newVariable(Float32Array.from([0.5]), [1]);
    const opt = new AdamW(
      [
        { name: 'layer.weight', variable: w, decay: true },
        { name: 'layer.bias', variable: b, decay: false },
      ],
      { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, maxGradNorm: 0 },
    );
    const g = [0.3, -0.4];
    const grads = { [w.name]: tf.tensor1d(g), [b.name]: tf.tensor1d([2]) };
    const lr = 0.01;
    expect(await opt.apply(grads, lr)).toBeCloseTo(Math.sqrt(0.09 + 0.16 + 4), 5);
    // step 1: m_hat = g, v_hat = g^2, so the update is lr * g / (|g| + eps) after decoupled decay p * (1 - lr wd)
    const expectedW = [1, -2].map(
      (p, i) => p * (1 - lr * 0.1) - (lr * (g[i] as number)) / (Math.abs(g[i] as number) + 1e-8),
    );
    expect([...w.dataSync()].map((v, i) => v - (expectedW[i] as number)).every((d) => Math.abs(d) < 1e-6)).toBe(true);
    expect(b.dataSync()[0]).toBeCloseTo(0.5 - lr, 6);
    tf.dispose(Object.values(grads));

    const x = newVariable(0, [2]);
    const clipped = new AdamW([{ name: 'x', variable: x, decay: false }], {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
    });
    const big = { [x.name]: tf.tensor1d([30, 40]) };
    expect(await clipped.apply(big, 0.1)).toBeCloseTo(50, 4);
    const m = (await clipped.state()).moments.get('x')?.m as Float32Array;
    expect(m[0]).toBeCloseTo(0.1 * 0.6, 6); // (1 - beta1) * gradient scaled to norm 1
    expect(m[1]).toBeCloseTo(0.1 * 0.8, 6);
    x.dispose();
    tf.dispose(Object.values(big));
    opt.dispose();
    clipped.dispose();
    expect(decays('encoder.layer.0.layernorm_before.weight')).toBe(false);
    expect(decays('encoder.layer.0.attention.attention.query.bias')).toBe(false);
    expect(decays('encoder.layer.0.attention.attention.query.weight')).toBe(true);
  });

  it('saves and restores its state', async () => {
    const v = newVariable(Float32Array.from([1, 2]), [2]);
    const opt = new AdamW([{ name: 'v', variable: v, decay: true }], {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      maxGradNorm: 1,
    });
    const grads = { [v.name]: tf.tensor1d([0.1, 0.2]) };
    await opt.apply(grads, 0.01);
    const state = await opt.state();
    const afterFirst = v.dataSync().slice();
    await opt.apply(grads, 0.01);
    const afterSecond = v.dataSync().slice();
    await opt.apply(grads, 0.01);
    tf.tidy(() => v.assign(tf.tensor1d(afterFirst)));
    opt.restore(state);
    expect(opt.steps).toBe(1);
    await opt.apply(grads, 0.01);
    expect(v.dataSync()).toEqual(afterSecond);
    tf.dispose(Object.values(grads));
    opt.dispose();
  });
});

describe('splits', () => {
  it('splits 90/10 per class, seeded, disjoint and complete', () => {
    const labels = Int32Array.from({ length: 200 }, (_, i) => (i < 150 ? 0 : 1));
    const a = stratifiedSplit(labels, 0.1, Rng.fromSeed(1));
    expect(a.second.length).toBe(15 + 5);
    expect([...a.second].filter((i) => labels[i] === 1).length).toBe(5);
    expect(new Set([...a.first, ...a.second]).size).toBe(200);
    expect(stratifiedSplit(labels, 0.1, Rng.fromSeed(1))).toEqual(a);
    expect(stratifiedSplit(labels, 0.1, Rng.fromSeed(2)).second).not.toEqual(a.second);
  });
  it('draws fixed seeded samples', () => {
    expect(seededSample(10, 'all', Rng.fromSeed(0))).toEqual(Int32Array.from({ length: 10 }, (_, i) => i));
    const s = seededSample(1000, 5, Rng.fromSeed(0));
    expect(s.length).toBe(5);
    expect(seededSample(1000, 5, Rng.fromSeed(0))).toEqual(s);
  });
});

describe('training subsets', () => {
  it('keeps n per class or n in total, seeded', async () => {
    const { subsetIndices } = await import('../../src/core/training/split.js');
    const labels = Int32Array.from({ length: 100 }, (_, i) => i % 4);
    const all = Int32Array.from({ length: 100 }, (_, i) => i);
    const perClass = subsetIndices(all, labels, { perClass: 3 }, Rng.fromSeed(1));
    expect(perClass.length).toBe(12);
    expect([0, 1, 2, 3].map((c) => [...perClass].filter((i) => labels[i] === c).length)).toEqual([3, 3, 3, 3]);
    expect(subsetIndices(all, labels, { perClass: 3 }, Rng.fromSeed(1))).toEqual(perClass);
    expect(subsetIndices(all, labels, { total: 10 }, Rng.fromSeed(1)).length).toBe(10);
    expect(subsetIndices(all, labels, { perClass: 500 }, Rng.fromSeed(1)).length).toBe(100);
  });
});
