import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adaptModel } from '../../src/core/model/adapt.js';
import { loadAdaptation, saveAdaptation } from '../../src/core/model/adaptation-file.js';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import type { StrategyPlugin } from '../../src/core/contracts/index.js';
import { logitsOf, lossOn, tempDir, tinyBatch, tinyModel, trainStep } from '../helpers/index.js';

const strategies = builtinPlugins.filter((p): p is StrategyPlugin => p.family === 'strategy');
const byName = (name: string): StrategyPlugin => strategies.find((s) => s.meta.name === name) as StrategyPlugin;
const use = (name: string, config: unknown = {}) => ({ plugin: byName(name), config: byName(name).configSchema.parse(config) });

/** Values of every base parameter, by name. */
async function snapshot(model: ReturnType<typeof tinyModel>): Promise<Map<string, Float32Array>> {
  const values = new Map<string, Float32Array>();
  for (const p of model.parameters) values.set(p.name, await model.read(p.name));
  return values;
}

describe.each(strategies.map((s) => s.meta.name))('strategy %s', (name) => {
  it('trains exactly its parameters: frozen ones stay bit-identical, trained ones move', async () => {
    const model = tinyModel();
    adaptModel(model, [use(name)], Rng.fromSeed(2));
    const before = await snapshot(model);
    const addedBefore = new Map([...model.addedVariables()].map(([n, v]) => [n, v.dataSync().slice()]));
    const { pixels, labels } = tinyBatch();
    const optimizer = tf.train.adam(0.01);
    for (let i = 0; i < 3; i++) trainStep(model, optimizer, pixels, labels);
    const trained = new Set(model.trainableBaseNames());
    expect(trained.has('classifier.weight')).toBe(true);
    for (const [param, value] of before) {
      const now = await model.read(param);
      if (trained.has(param)) expect(now, param).not.toEqual(value);
      else expect(now, param).toEqual(value);
    }
    for (const [param, v] of model.addedVariables()) expect(v.dataSync(), param).not.toEqual(addedBefore.get(param));
    optimizer.dispose();
    tf.dispose([pixels, labels]);
    model.dispose();
  });

  it('gives every added parameter a non-zero gradient (after one step, so LoRA B is no longer zero)', () => {
    const model = tinyModel();
    adaptModel(model, [use(name)], Rng.fromSeed(2));
    const { pixels, labels } = tinyBatch();
    const optimizer = tf.train.adam(0.01);
    trainStep(model, optimizer, pixels, labels);
    const added = [...model.addedVariables()];
    if (added.length > 0) {
      const { grads } = tf.variableGrads(() => lossOn(model, pixels, labels), added.map(([, v]) => v));
      for (const [param, v] of added) {
        const g = grads[v.name] as tf.Tensor;
        expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]), param).toBeGreaterThan(0);
      }
      tf.dispose(Object.values(grads));
    }
    optimizer.dispose();
    tf.dispose([pixels, labels]);
    model.dispose();
  });

  it('saves its trained parameters to a small file that reloads to identical logits', async () => {
    const dir = tempDir();
    const model = tinyModel();
    adaptModel(model, [use(name)], Rng.fromSeed(2));
    const { pixels, labels } = tinyBatch();
    const optimizer = tf.train.adam(0.01);
    for (let i = 0; i < 2; i++) trainStep(model, optimizer, pixels, labels);
    await saveAdaptation(model, join(dir, 'adapter.safetensors'), [{ name }]);
    const restored = tinyModel(); // same base weights, different adapted state until loaded
    adaptModel(restored, [use(name)], Rng.fromSeed(99));
    loadAdaptation(restored, join(dir, 'adapter.safetensors'));
    expect(logitsOf(restored, pixels)).toEqual(logitsOf(model, pixels));
    optimizer.dispose();
    tf.dispose([pixels, labels]);
    model.dispose();
    restored.dispose();
  });
});

describe('strategy specifics', () => {
  it.each(['lora', 'ia3'])('%s at initialisation gives the same logits as the base model', (name) => {
    const base = tinyModel();
    const adapted = tinyModel();
    adaptModel(adapted, [use(name)], Rng.fromSeed(5));
    const { pixels, labels } = tinyBatch();
    expect(logitsOf(adapted, pixels)).toEqual(logitsOf(base, pixels));
    tf.dispose([pixels, labels]);
    base.dispose();
    adapted.dispose();
  });

  it('stacks BitFit and LoRA: biases and LoRA factors train, other weights stay frozen', () => {
    const model = tinyModel();
    adaptModel(model, [use('bitfit'), use('lora', { rank: 2 })], Rng.fromSeed(3));
    const trained = model.trainableBaseNames();
    expect(trained.filter((n) => !n.startsWith('classifier.')).every((n) => n.endsWith('.bias'))).toBe(true);
    expect(trained).toContain('encoder.layer.1.attention.attention.query.bias');
    expect([...model.addedVariables().keys()]).toContain('encoder.layer.0.attention.attention.query.lora_A');
    const { pixels, labels } = tinyBatch();
    const optimizer = tf.train.adam(0.01);
    const first = trainStep(model, optimizer, pixels, labels);
    let last = first;
    for (let i = 0; i < 20; i++) last = trainStep(model, optimizer, pixels, labels);
    expect(last).toBeLessThan(first);
    expect(() => adaptModel(model, [use('lora')], Rng.fromSeed(4))).toThrow("adds parameter 'encoder.layer.0.attention.attention.query.lora_A', which already exists");
    optimizer.dispose();
    tf.dispose([pixels, labels]);
    model.dispose();
  });

  it('refuses an adaptation file of other strategies, naming the missing tensor', async () => {
    const dir = tempDir();
    const model = tinyModel();
    adaptModel(model, [use('ia3')], Rng.fromSeed(2));
    await saveAdaptation(model, join(dir, 'ia3.safetensors'), [{ name: 'ia3' }]);
    const other = tinyModel();
    adaptModel(other, [use('lora')], Rng.fromSeed(2));
    expect(() => loadAdaptation(other, join(dir, 'ia3.safetensors'))).toThrow("missing tensor 'encoder.layer.0.attention.attention.query.lora_A'");
    model.dispose();
    other.dispose();
  });

  it('frees every tensor when an adapted model is disposed', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    adaptModel(model, strategies.map((s) => use(s.meta.name)).filter((u) => u.plugin.meta.name !== 'full'), Rng.fromSeed(1));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensors across 50 training steps (stacked Compacter + LoRA + BitFit)', async () => {
    const model = tinyModel();
    adaptModel(model, [use('bitfit'), use('lora'), use('compacter')], Rng.fromSeed(3));
    const { pixels, labels } = tinyBatch();
    const optimizer = tf.train.adam(0.01);
    await assertNoTensorLeaks(50, () => trainStep(model, optimizer, pixels, labels));
    optimizer.dispose();
    tf.dispose([pixels, labels]);
    model.dispose();
  });
});
