import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { adaptModel } from '../../src/core/model/adapt.js';
import { loadAdaptation, saveAdaptation } from '../../src/core/model/adaptation-file.js';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import { BLOCK_LINEAR_SITES } from '../../src/core/contracts/index.js';
import type { StrategyPlugin } from '../../src/core/contracts/index.js';
import { logitsOf, lossOn, tempDir, tinyBatch, tinyModel, trainStep } from '../helpers/index.js';

const strategies = builtinPlugins.filter((p): p is StrategyPlugin => p.family === 'strategy');
const byName = (name: string): StrategyPlugin => strategies.find((s) => s.meta.name === name) as StrategyPlugin;
const use = (name: string, config: unknown = {}) => ({
  plugin: byName(name),
  config: byName(name).configSchema.parse(config),
});

/** Disposes `resource` when the test ends, also when an assertion failed half-way. */
function disposedAfterTest<T extends { dispose(): void }>(resource: T): T {
  onTestFinished(() => resource.dispose());
  return resource;
}

/** TINY's fixed batch, disposed when the test ends. */
function batch(): { pixels: tf.Tensor4D; labels: tf.Tensor2D } {
  const { pixels, labels } = tinyBatch();
  return { pixels: disposedAfterTest(pixels), labels: disposedAfterTest(labels) };
}

interface StrategyCase {
  /** The test name: the strategy alone for its default config. */
  readonly name: string;
  readonly strategy: string;
  readonly config?: Record<string, unknown>;
  /** What it adds on TINY (hidden 16, MLP 32, 2 layers): every added name matches `names`, `values` in all. */
  readonly adds: { readonly names: RegExp; readonly values: number };
}

const NOTHING = { names: /^$/, values: 0 };
const COMPACTER_NAMES = /^(compacter\.phm_rule|encoder\.layer\.[01]\.compacter\.(attn_out|ffn_out)\.)/;

/**
 * Each strategy with its default config, then other configs (as PEFT's tests do): every case must add what its
 * config asks for, train exactly its parameters, give each a gradient, and save and reload. `values` are counted by
 * hand from the shapes in each strategy's doc comment: per layer, times 2 layers.
 */
const CASES: readonly StrategyCase[] = [
  { name: 'full', strategy: 'full', adds: NOTHING },
  { name: 'linear-probe', strategy: 'linear-probe', adds: NOTHING },
  { name: 'bitfit', strategy: 'bitfit', adds: NOTHING },
  // rank 8: 3 x (A [16, 8] + B [8, 16]) for query, key, value; 128 + 256 for intermediate and for ffn_out
  {
    name: 'lora',
    strategy: 'lora',
    adds: {
      names: /\.(attention\.attention\.(query|key|value)|intermediate\.dense|output\.dense)\.lora_[AB]$/,
      values: 2 * 1536,
    },
  },
  // [16] for key and value and ffn_out, [32] for intermediate
  {
    name: 'ia3',
    strategy: 'ia3',
    adds: { names: /\.(attention\.attention\.(key|value)|intermediate\.dense|output\.dense)\.ia3_l$/, values: 2 * 80 },
  },
  // both sites, width 16 / 8 = 2: down [16, 2] + 2, up [2, 16] + 16
  {
    name: 'adapter',
    strategy: 'adapter',
    adds: { names: /^encoder\.layer\.[01]\.adapter\.(attn_out|ffn_out)\./, values: 2 * 2 * 82 },
  },
  // rules [4, 4, 4]; width 4; per site down 4x4x1 + 4x1x1 + 4, up 4x1x1 + 4x1x4 + 16
  { name: 'compacter', strategy: 'compacter', adds: { names: COMPACTER_NAMES, values: 64 + 2 * 2 * 60 } },
  // A [16, 2] + B [2, 16]
  {
    name: 'lora on attn_out only, rank 2',
    strategy: 'lora',
    config: { rank: 2, alpha: 4, targets: ['attn_out'] },
    adds: { names: /^encoder\.layer\.[01]\.attention\.output\.dense\.lora_[AB]$/, values: 2 * 64 },
  },
  // 2 x (A [16, 8] + B [8, 16])
  {
    name: 'lora on query and value (the PEFT default)',
    strategy: 'lora',
    config: { targets: ['query', 'value'] },
    adds: { names: /\.attention\.attention\.(query|value)\.lora_[AB]$/, values: 2 * 512 },
  },
  // 4 x (16 + 16) for query, key, value, attn_out; 16 + 32 for intermediate and for ffn_out
  {
    name: 'lora on every block linear, rank 1',
    strategy: 'lora',
    config: { rank: 1, targets: [...BLOCK_LINEAR_SITES] },
    adds: { names: /\.lora_[AB]$/, values: 2 * 224 },
  },
  // [16] each
  {
    name: 'ia3 on query and attn_out',
    strategy: 'ia3',
    config: { targets: ['query', 'attn_out'] },
    adds: { names: /\.(attention\.attention\.query|attention\.output\.dense)\.ia3_l$/, values: 2 * 32 },
  },
  // width 16 / 8 = 2: down [16, 2] + 2, up [2, 16] + 16
  {
    name: 'adapter on the MLP output only',
    strategy: 'adapter',
    config: { sites: ['ffn_out'] },
    adds: { names: /^encoder\.layer\.[01]\.adapter\.ffn_out\./, values: 2 * 82 },
  },
  // width 8: down [16, 8] + 8, up [8, 16] + 16
  {
    name: 'adapter on the attention output only, reduction 2',
    strategy: 'adapter',
    config: { sites: ['attn_out'], reductionFactor: 2 },
    adds: { names: /^encoder\.layer\.[01]\.adapter\.attn_out\./, values: 2 * 280 },
  },
  // rules [2, 2, 2]; width 2; per site down 2x8x1 + 2x1x1 + 2, up 2x1x1 + 2x1x8 + 16
  {
    name: 'compacter with phmDim 2',
    strategy: 'compacter',
    config: { phmDim: 2 },
    adds: { names: COMPACTER_NAMES, values: 8 + 2 * 2 * 54 },
  },
  // rules [8, 8, 8]; width 8; per site down 8x2x2 + 8x2x1 + 8, up 8x1x2 + 8x2x2 + 16
  {
    name: 'compacter with phmDim 8, rank 2, reduction 2',
    strategy: 'compacter',
    config: { phmDim: 8, rank: 2, reductionFactor: 2 },
    adds: { names: COMPACTER_NAMES, values: 512 + 2 * 2 * 120 },
  },
];

/** Values of every base parameter, by name. */
async function snapshot(model: ReturnType<typeof tinyModel>): Promise<Map<string, Float32Array>> {
  const values = new Map<string, Float32Array>();
  for (const p of model.parameters) values.set(p.name, await model.read(p.name));
  return values;
}

it('has a default-config case for every built-in strategy', () => {
  expect(strategies.map((s) => s.meta.name).filter((name) => !CASES.some((c) => c.name === name))).toEqual([]);
});

describe.each(CASES)('strategy $name', ({ strategy, config, adds }) => {
  it('adds exactly the parameters its config asks for', () => {
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use(strategy, config)], Rng.fromSeed(2));
    const added = [...model.addedVariables()];
    expect(added.map(([n]) => n).filter((n) => !adds.names.test(n))).toEqual([]);
    expect(added.reduce((sum, [, v]) => sum + v.size, 0)).toBe(adds.values);
  });

  it('trains exactly its parameters: frozen ones stay bit-identical, trained ones move', async () => {
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use(strategy, config)], Rng.fromSeed(2));
    const before = await snapshot(model);
    const addedBefore = new Map([...model.addedVariables()].map(([n, v]) => [n, v.dataSync().slice()]));
    const { pixels, labels } = batch();
    const optimizer = disposedAfterTest(tf.train.adam(0.01));
    for (let i = 0; i < 3; i++) trainStep(model, optimizer, pixels, labels);
    const trained = new Set(model.trainableBaseNames());
    expect(trained.has('classifier.weight')).toBe(true);
    for (const [param, value] of before) {
      const now = await model.read(param);
      if (trained.has(param)) expect(now, param).not.toEqual(value);
      else expect(now, param).toEqual(value);
    }
    for (const [param, v] of model.addedVariables()) expect(v.dataSync(), param).not.toEqual(addedBefore.get(param));
  });

  it('gives every added parameter a non-zero gradient (after one step, so LoRA B is no longer zero)', () => {
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use(strategy, config)], Rng.fromSeed(2));
    const { pixels, labels } = batch();
    const optimizer = disposedAfterTest(tf.train.adam(0.01));
    trainStep(model, optimizer, pixels, labels);
    const added = [...model.addedVariables()];
    if (added.length > 0) {
      const { grads } = tf.variableGrads(
        () => lossOn(model, pixels, labels),
        added.map(([, v]) => v),
      );
      onTestFinished(() => tf.dispose(Object.values(grads)));
      for (const [param, v] of added) {
        const g = grads[v.name] as tf.Tensor;
        expect(
          tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]),
          param,
        ).toBeGreaterThan(0);
      }
    }
  });

  it('saves its trained parameters to a small file that reloads to identical logits', async () => {
    const dir = tempDir();
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use(strategy, config)], Rng.fromSeed(2));
    const { pixels, labels } = batch();
    const optimizer = disposedAfterTest(tf.train.adam(0.01));
    for (let i = 0; i < 2; i++) trainStep(model, optimizer, pixels, labels);
    await saveAdaptation(model, join(dir, 'adapter.safetensors'), [
      { name: strategy, ...(config === undefined ? {} : { config }) },
    ]);
    const restored = disposedAfterTest(tinyModel()); // same base weights, different adapted state until loaded
    adaptModel(restored, [use(strategy, config)], Rng.fromSeed(99));
    loadAdaptation(restored, join(dir, 'adapter.safetensors'));
    expect(logitsOf(restored, pixels)).toEqual(logitsOf(model, pixels));
  });
});

describe('strategy configs refused on a model they do not fit', () => {
  it.each([
    { phmDim: 3, says: 'compacter: hidden size 16 is not divisible by phmDim 3' },
    { phmDim: 32, says: 'compacter: hidden size 16 is not divisible by phmDim 32' },
  ])('compacter with phmDim $phmDim, creating no tensor', ({ phmDim, says }) => {
    const model = disposedAfterTest(tinyModel());
    const before = tf.memory().numTensors;
    expect(() => adaptModel(model, [use('compacter', { phmDim })], Rng.fromSeed(2))).toThrow(says);
    expect(model.addedVariables().size).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('strategy specifics', () => {
  it.each(['lora', 'ia3'])('%s at initialisation gives the same logits as the base model', (name) => {
    const base = disposedAfterTest(tinyModel());
    const adapted = disposedAfterTest(tinyModel());
    adaptModel(adapted, [use(name)], Rng.fromSeed(5));
    const { pixels } = batch();
    expect(logitsOf(adapted, pixels)).toEqual(logitsOf(base, pixels));
  });

  it('stacks BitFit and LoRA: biases and LoRA factors train, other weights stay frozen', () => {
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use('bitfit'), use('lora', { rank: 2 })], Rng.fromSeed(3));
    const trained = model.trainableBaseNames();
    expect(trained.filter((n) => !n.startsWith('classifier.')).every((n) => n.endsWith('.bias'))).toBe(true);
    expect(trained).toContain('encoder.layer.1.attention.attention.query.bias');
    expect([...model.addedVariables().keys()]).toContain('encoder.layer.0.attention.attention.query.lora_A');
    const { pixels, labels } = batch();
    const optimizer = disposedAfterTest(tf.train.adam(0.01));
    const first = trainStep(model, optimizer, pixels, labels);
    let last = first;
    for (let i = 0; i < 20; i++) last = trainStep(model, optimizer, pixels, labels);
    expect(last).toBeLessThan(first);
    expect(() => adaptModel(model, [use('lora')], Rng.fromSeed(4))).toThrow(
      "adds parameter 'encoder.layer.0.attention.attention.query.lora_A', which already exists",
    );
  });

  it('refuses an adaptation file of other strategies, naming the missing tensor', async () => {
    const dir = tempDir();
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use('ia3')], Rng.fromSeed(2));
    await saveAdaptation(model, join(dir, 'ia3.safetensors'), [{ name: 'ia3' }]);
    const other = disposedAfterTest(tinyModel());
    adaptModel(other, [use('lora')], Rng.fromSeed(2));
    expect(() => loadAdaptation(other, join(dir, 'ia3.safetensors'))).toThrow(
      "missing tensor 'encoder.layer.0.attention.attention.query.lora_A'",
    );
  });

  it('frees every tensor when an adapted model is disposed', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    adaptModel(
      model,
      strategies.map((s) => use(s.meta.name)).filter((u) => u.plugin.meta.name !== 'full'),
      Rng.fromSeed(1),
    );
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensors across 50 training steps (stacked Compacter + LoRA + BitFit)', async () => {
    const model = disposedAfterTest(tinyModel());
    adaptModel(model, [use('bitfit'), use('lora'), use('compacter')], Rng.fromSeed(3));
    const { pixels, labels } = batch();
    const optimizer = disposedAfterTest(tf.train.adam(0.01));
    await assertNoTensorLeaks(50, () => trainStep(model, optimizer, pixels, labels));
  });
});
