import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parseConfig } from '../core/contracts/config.js';
import type { Adaptation, StrategyPlugin } from '../core/contracts/strategy.js';
import { adaptModel, clashingAddedName, trainsBeyondHead } from '../core/model/adapt.js';
import { loadAdaptation, saveAdaptation } from '../core/model/adaptation-file.js';
import { isHead } from '../core/model/architecture.js';
import type { VisionTransformer } from '../core/model/vit.js';
import { AdamW } from '../core/training/adamw.js';
import { assertNoTensorLeaks } from '../core/tensor/memory.js';
import { Rng } from '../core/tensor/rng.js';
import { bitfit } from '../plugins/strategies/bitfit.js';
import { lora } from '../plugins/strategies/lora.js';
import { sameValues } from './attack.js';
import { FindingList, parsedConfig } from './findings.js';
import type { Finding } from './findings.js';
import { tinyModel, toyData } from './models.js';

export interface StrategyCheckOptions {
  /** The strategy's config (validated against its schema first); default `{}`. */
  readonly config?: unknown;
  /** The seed of the strategy's random stream; default 0. */
  readonly seed?: number;
  /** The strategy stacked after it for the `stacks` rule; default the built-in `lora` (`bitfit` for lora itself). */
  readonly stackWith?: { readonly plugin: StrategyPlugin; readonly config?: unknown };
}

/** Optimiser steps taken; LoRA-like pairs initialised with one factor at zero need two for both factors to move. */
const STEPS = 3;

/**
 * Checks a strategy against its contract on the tiny model. Rules: `definition`, `config`, `adapt` (does not throw),
 * `trains-something` (adds or trains a parameter outside the head, and one of them moves in training, unless it
 * declares `headOnly`), `parameter-names` (added names are new), `trains-what-it-says` (every added parameter gets a
 * gradient), `frozen-unchanged` (base weights it does not train stay bit-identical over optimiser steps),
 * `save-reload` (its saved parameters, loaded into a freshly adapted model, give identical logits), `stacks` (it
 * stacks with another strategy) and `no-leaks`.
 */
export async function checkStrategy(plugin: StrategyPlugin, options: StrategyCheckOptions = {}): Promise<Finding[]> {
  const list = new FindingList(plugin);
  const parsed = await parsedConfig(plugin, options.config, list);
  if (parsed === undefined) return list.findings;
  const config = parsed.value;
  const seed = options.seed ?? 0;
  const liveBefore = tf.memory().numTensors;
  const { pixels, labels } = toyData(6, 2);
  const oneHot = tf.tidy(() => tf.oneHot(labels, 3) as tf.Tensor2D);
  const loss = (model: VisionTransformer) => (): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(oneHot, model.logits(pixels)) as tf.Scalar;
  const adapted = (model: VisionTransformer, rng: Rng): Promise<Adaptation | undefined> =>
    list.guard('adapt', () => plugin.adapt(model, config, rng.fork('strategy')));
  const model = tinyModel(1);
  try {
    const adaptation = await adapted(model, Rng.fromSeed(seed));
    if (adaptation === undefined) return list.findings;
    const headOnly = adaptation.headOnly === true;
    if (!trainsBeyondHead(model, adaptation) && !headOnly) {
      list.add(
        'trains-something',
        'it adds no parameter and trains no parameter outside the head, and does not declare headOnly',
      );
    }
    const clash = clashingAddedName(model, adaptation, new Set());
    if (clash !== undefined) list.add('parameter-names', `it adds '${clash}', the name of a base parameter`);
    model.addAdaptation(adaptation);
    if (list.findings.length > 0) return list.findings;
    const before = await parameterValues(model);
    const optimizer = await firstGradients(model, loss(model), list);
    if (optimizer === undefined) return list.findings;
    const step = async (): Promise<void> => {
      const { value, grads } = tf.variableGrads(loss(model), optimizer.variables);
      await optimizer.adamW.apply(grads, 1e-2);
      tf.dispose([value, ...Object.values(grads)]);
    };
    try {
      await list.guard('no-leaks', () => assertNoTensorLeaks(STEPS - 1, step, { warmup: 1 }));
    } finally {
      optimizer.adamW.dispose();
    }
    const after = await parameterValues(model);
    const trained = new Set([...model.trainableBaseNames(), ...adaptation.added.keys()]);
    const changed = [...after].filter(([name, values]) => !sameValues(values, before.get(name))).map(([name]) => name);
    const movedFrozen = changed.filter((name) => !trained.has(name));
    if (movedFrozen.length > 0) {
      list.add(
        'frozen-unchanged',
        `${STEPS} optimiser steps changed parameters it does not train: ${listed(movedFrozen)}`,
      );
    }
    if (!headOnly && !changed.some((name) => !isHead(name) && trained.has(name))) {
      list.add('trains-something', `${STEPS} optimiser steps changed no parameter outside the head`);
    }
    await checkSaveReload(plugin, config, model, seed, list);
    await checkStacking(plugin, config, options, list);
  } finally {
    model.dispose();
    tf.dispose([pixels, labels, oneHot]);
  }
  const leaked = tf.memory().numTensors - liveBefore;
  if (leaked !== 0)
    list.add('no-leaks', `${leaked} tensors outlive the adapted models (added parameters are disposed with them)`);
  return list.findings;
}

const listed = (names: readonly string[]): string =>
  names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;

/** Every base and added parameter's values, by name. */
async function parameterValues(model: VisionTransformer): Promise<Map<string, tf.TypedArray>> {
  const values = new Map<string, tf.TypedArray>();
  for (const { name } of model.parameters) values.set(name, await model.read(name));
  for (const [name, v] of model.addedVariables()) values.set(name, await v.data());
  return values;
}

/**
 * Differentiates the loss once: an added parameter without a gradient is one the forward pass never uses (paretune's
 * optimiser would stop the run on it). Returns an optimiser over the variables that have gradients.
 */
async function firstGradients(
  model: VisionTransformer,
  loss: () => tf.Scalar,
  list: FindingList,
): Promise<{ adamW: AdamW; variables: tf.Variable[] } | undefined> {
  const trainable = model.trainableParameters();
  const first = await list.guard('adapt', () =>
    tf.variableGrads(
      loss,
      trainable.map((p) => p.variable),
    ),
  );
  if (first === undefined) return undefined;
  const added = model.addedVariables();
  const unused = trainable
    .filter((p) => first.grads[p.variable.name] === undefined && added.has(p.name))
    .map((p) => p.name);
  tf.dispose([first.value, ...Object.values(first.grads)]);
  if (unused.length > 0) {
    list.add(
      'trains-what-it-says',
      `added parameters get no gradient (the forward pass does not use them): ${listed(unused)}`,
    );
  }
  const optimised = trainable.filter((p) => !unused.includes(p.name));
  const options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, maxGradNorm: 0 };
  const adamW = new AdamW(
    optimised.map(({ name, variable }) => ({ name, variable, decay: false })),
    options,
  );
  return { adamW, variables: optimised.map((p) => p.variable) };
}

/** Saves the trained parameters, loads them into a model adapted from another seed, and compares logits. */
async function checkSaveReload(
  plugin: StrategyPlugin,
  config: unknown,
  model: VisionTransformer,
  seed: number,
  list: FindingList,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'paretune-conformance-'));
  const fresh = tinyModel(1);
  const { pixels, labels } = toyData(4, 3);
  try {
    await list.guard('save-reload', async () => {
      const file = join(dir, 'adaptation.safetensors');
      await saveAdaptation(model, file, [{ name: plugin.meta.name, version: plugin.meta.version, config }]);
      fresh.addAdaptation(plugin.adapt(fresh, config, Rng.fromSeed(seed + 1).fork('strategy')));
      loadAdaptation(fresh, file);
      const [saved, loaded] = [model, fresh].map((m) => tf.tidy(() => m.logits(pixels)));
      const values = [await (saved as tf.Tensor).data(), await (loaded as tf.Tensor).data()];
      tf.dispose([saved as tf.Tensor, loaded as tf.Tensor]);
      if (!sameValues(values[0] as tf.TypedArray, values[1])) {
        list.add('save-reload', 'a model adapted afresh and loaded from its saved parameters gives different logits');
      }
    });
  } finally {
    fresh.dispose();
    tf.dispose([pixels, labels]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stacks the strategy with another one, as a run's `strategies` list does, and takes one gradient. */
async function checkStacking(
  plugin: StrategyPlugin,
  config: unknown,
  options: StrategyCheckOptions,
  list: FindingList,
): Promise<void> {
  const partner = options.stackWith ?? { plugin: plugin.meta.name === lora.meta.name ? bitfit : lora };
  const partnerConfig = parseConfig(
    partner.plugin.configSchema,
    partner.config ?? {},
    `strategy '${partner.plugin.meta.name}' config`,
  );
  const model = tinyModel(1);
  const { pixels, labels } = toyData(4, 3);
  const oneHot = tf.tidy(() => tf.oneHot(labels, 3) as tf.Tensor2D);
  try {
    await list.guard('stacks', () => {
      adaptModel(
        model,
        [
          { plugin, config },
          { plugin: partner.plugin, config: partnerConfig },
        ],
        Rng.fromSeed(0),
      );
      const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(oneHot, model.logits(pixels)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, model.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    });
  } finally {
    model.dispose();
    tf.dispose([pixels, labels, oneHot]);
  }
}
