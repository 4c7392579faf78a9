import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, parseConfig } from '../../src/core/contracts/config.js';
import { loadCheckpoint } from '../../src/core/model/checkpoint.js';
import type { VisionTransformer } from '../../src/core/model/vit.js';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { pgdAttack } from '../../src/plugins/attacks/pgd.js';
import { toyData, trainedTinyModel, VIT_REFERENCE_DIR, vitReference } from '../helpers/index.js';

const config = (overrides: object = {}) => pgdAttack.configSchema.parse(overrides);

async function attack(model: VisionTransformer, pixels: tf.Tensor4D, labels: tf.Tensor1D, overrides: object = {}) {
  return model.withFrozenWeights(() =>
    pgdAttack.perturb({ model, pixels, labels, config: config(overrides), rng: Rng.fromSeed(4) }),
  );
}

function accuracy(model: VisionTransformer, pixels: tf.Tensor4D, labels: tf.Tensor1D): number {
  return tf.tidy(
    () => tf.mean(tf.cast(tf.equal(tf.argMax(model.logits(pixels), 1), labels), 'float32')).dataSync()[0] as number,
  );
}

describe('PGD', () => {
  const model = trainedTinyModel();
  const { pixels, labels } = toyData(30, 21);
  const clean = accuracy(model, pixels, labels);

  it('has the study defaults', () => {
    expect(config()).toEqual({
      norm: 'Linf',
      eps: 1 / 255,
      stepRatio: 0.25,
      steps: 15,
      randomStart: true,
      restarts: 1,
      correctOnly: false,
    });
    expect(pgdAttack.threatModels(config({ eps: [0, 2 / 255] }))).toEqual([
      { norm: 'Linf', eps: 0 },
      { norm: 'Linf', eps: 2 / 255 },
    ]);
  });

  it('refuses eps < 0 and steps < 1 with the field named', () => {
    expect(pgdAttack.configSchema.safeParse({ eps: -0.1 }).error?.issues[0]?.path).toEqual(['eps']);
    expect(pgdAttack.configSchema.safeParse({ steps: 0 }).error?.issues[0]?.path).toEqual(['steps']);
  });

  it('takes radii as numbers or fraction strings, alone or in lists, and keeps a JSON Schema of the input form', () => {
    expect(config({ eps: '8/255' }).eps).toBe(8 / 255);
    expect(config({ eps: ['1/255', 0.5, ' 4 / 255 '] }).eps).toEqual([1 / 255, 0.5, 4 / 255]);
    expect(pgdAttack.threatModels(config({ eps: ['0', '2/255'] }))).toEqual([
      { norm: 'Linf', eps: 0 },
      { norm: 'Linf', eps: 2 / 255 },
    ]);
    // A parsed config parses to itself (run specs store parsed configs).
    expect(config(config({ eps: ['1/255'] }))).toEqual(config({ eps: [1 / 255] }));
    const schema = configJsonSchema(pgdAttack.configSchema) as { properties: { eps: { anyOf: unknown[] } } };
    expect(JSON.stringify(schema.properties.eps)).toContain('"type":"string"');
  });

  it('refuses negative, non-finite and non-numeric radii, and L-inf radii above 1, naming the field', () => {
    const problem = (eps: unknown, norm = 'Linf') => {
      try {
        parseConfig(pgdAttack.configSchema, { eps, norm }, "attack 'pgd' config");
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem(2)).toBe(
      "attack 'pgd' config is invalid: field 'eps': an L-inf radius must be at most 1 (the whole [0,1] pixel range), got 2",
    );
    expect(problem([1 / 255, '300/255'])).toMatch(/field 'eps\[1\]': an L-inf radius must be at most 1 .*got 1\.176/);
    const radius =
      "attack 'pgd' config is invalid: field 'eps': expected a radius: a number >= 0 or a fraction such as \"8/255\"";
    for (const bad of [-0.1, '-1/255', '1/0', 'abc', Number.NaN, true]) expect(problem(bad)).toContain(radius);
    expect(problem([0.1, -1])).toMatch(/^attack 'pgd' config is invalid: field 'eps/);
    // An L2 ball of radius 2 is a legitimate budget (the image diagonal is far longer).
    expect(problem(2, 'L2')).toBe('accepted');
  });

  it('at eps 0 returns the clean images, so robust accuracy equals clean accuracy exactly', async () => {
    const [result] = await attack(model, pixels, labels, { eps: 0 });
    expect(result!.pixels.dataSync()).toEqual(pixels.dataSync());
    expect(accuracy(model, result!.pixels, labels)).toBe(clean);
    result!.pixels.dispose();
  });

  it('keeps adversarial pixels within eps (L-inf and L2) and inside [0,1]', async () => {
    for (const [norm, eps] of [
      ['Linf', 8 / 255],
      ['L2', 0.5],
    ] as const) {
      const [result] = await attack(model, pixels, labels, { norm, eps, restarts: 2 });
      const delta = tf.sub(result!.pixels, pixels);
      const size = norm === 'Linf' ? tf.max(tf.abs(delta)) : tf.max(tf.sqrt(tf.sum(tf.square(delta), [1, 2, 3])));
      expect(size.dataSync()[0]).toBeLessThanOrEqual(eps + 1e-5);
      expect(tf.min(result!.pixels).dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(tf.max(result!.pixels).dataSync()[0]).toBeLessThanOrEqual(1);
      tf.dispose([delta, size, result!.pixels]);
    }
  });

  it('gives robust accuracy non-increasing in eps on a trained model, and attacks do bite', async () => {
    const results = await attack(model, pixels, labels, { eps: [0, 1 / 255, 4 / 255, 16 / 255, 64 / 255] });
    const robust = results.map((r) => accuracy(model, r.pixels, labels));
    tf.dispose(results.map((r) => r.pixels));
    expect(clean).toBeGreaterThan(0.8);
    expect(robust[0]).toBe(clean);
    for (let i = 1; i < robust.length; i++) expect(robust[i]).toBeLessThanOrEqual(robust[i - 1] as number);
    expect(robust.at(-1)).toBeLessThan(clean);
  });

  it('with restarts is at least as strong, and correctOnly leaves misclassified images untouched', async () => {
    const eps = 16 / 255;
    const [one] = await attack(model, pixels, labels, { eps });
    const [three] = await attack(model, pixels, labels, { eps, restarts: 3 });
    expect(accuracy(model, three!.pixels, labels)).toBeLessThanOrEqual(accuracy(model, one!.pixels, labels));
    const [subset] = await attack(model, pixels, labels, { eps, correctOnly: true });
    const wrong = tf.tidy(() => tf.notEqual(tf.argMax(model.logits(pixels), 1), labels).dataSync());
    const size = pixels.size / pixels.shape[0];
    const adv = subset!.pixels.dataSync();
    const orig = pixels.dataSync();
    wrong.forEach((w, i) => {
      if (w) expect(adv.subarray(i * size, (i + 1) * size)).toEqual(orig.subarray(i * size, (i + 1) * size));
    });
    tf.dispose([one!.pixels, three!.pixels, subset!.pixels]);
  });

  it('leaks no tensors across attacks', async () => {
    await assertNoTensorLeaks(3, async () => {
      const results = await attack(model, pixels, labels, { steps: 3, restarts: 2, correctOnly: true });
      tf.dispose(results.map((r) => r.pixels));
    });
  });
});

describe('PGD on the reference fixture', () => {
  it('moves every pixel by exactly +-step along the sign of the reference gradient in its first step', async () => {
    const expected = vitReference;
    const { model } = loadCheckpoint(join(VIT_REFERENCE_DIR, 'model.safetensors'), {
      rng: Rng.fromSeed(0),
      overrides: { numHeads: 4 },
    });
    const x0 = tf.tensor4d(expected.pixels.data, expected.pixels.shape as [number, number, number, number]);
    const step = 0.25 / 255;
    const [result] = await model.withFrozenWeights(() =>
      pgdAttack.perturb({
        model,
        pixels: x0,
        labels: tf.tensor1d(expected.labels, 'int32'),
        config: config({ steps: 1, randomStart: false }),
        rng: Rng.fromSeed(0),
      }),
    );
    const moved = result!.pixels.dataSync();
    const grad = expected.grad_pixels.data;
    const scale = Math.max(...grad.map(Math.abs));
    let checked = 0;
    expected.pixels.data.forEach((x, i) => {
      const g = grad[i] as number;
      const target = x + step * Math.sign(g);
      if (Math.abs(g) < 1e-4 * scale || target < 0 || target > 1) return; // ~0 gradient, or clipped at the [0,1] border
      expect(Math.abs((moved[i] as number) - target), `pixel ${i}`).toBeLessThan(1e-6);
      checked++;
    });
    expect(checked).toBeGreaterThan(0.95 * grad.length);
    tf.dispose([x0, result!.pixels]);
    model.dispose();
  });
});
