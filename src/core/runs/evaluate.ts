import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ConfigError, parseConfig } from '../contracts/config.js';
import { checkSplitLabels } from '../contracts/dataset.js';
import type { ProgressListener } from '../contracts/dataset.js';
import { datasetFiles } from '../data/files.js';
import { evaluate } from '../evaluation/evaluator.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { allIndices, readImages, sampleIndices } from '../evaluation/sets.js';
import { adaptModel } from '../model/adapt.js';
import { adaptationStrategies, loadAdaptation } from '../model/adaptation-file.js';
import { loadModel } from '../model/source.js';
import type { RunEnvironment } from './environment.js';
import { Rng } from '../tensor/rng.js';
import { evaluationPlan } from './plan.js';
import { pluginRef, resolvePlugin, sampleSize } from './spec.js';

/** Evaluating an existing model: no training, one evaluation pass over a fixed seeded sample of one split. */
export const evaluationSpecSchema = z.strictObject({
  /** The checkpoint: preset, safetensors file or folder, or hf:<repo>. Its head must match the dataset's classes. */
  model: z.string().min(1),
  /** A file from saveAdaptation (fine-tuned parameters on top of `model`); its strategies are re-applied first. */
  adaptation: z.string().min(1).optional(),
  dataset: pluginRef,
  /** Default: `all` for a dataset that has it (an image folder: every image), else `test`. */
  split: z.string().min(1).optional(),
  attacks: z.array(pluginRef).default(['pgd']),
  shifts: z.array(pluginRef).default([]),
  metrics: z.array(pluginRef).min(1).default(['accuracy']),
  sample: sampleSize.default('all'),
  batchSize: z.number().int().positive().default(64),
  /** Images per forward or attack pass (default: what fits the backend); results per image do not depend on it. */
  microBatch: z.number().int().positive().optional(),
  seed: z.number().int().default(0),
});

export type EvaluationSpecInput = z.input<typeof evaluationSpecSchema>;

export interface EvaluationResult {
  readonly model: string;
  readonly plugins: readonly string[];
  readonly points: readonly MeasuredPoint[];
  readonly seconds: number;
}

/** Measures clean accuracy, every attack and every shift on a model as it is ("evaluate my own model"). */
export async function evaluateModel(
  input: unknown,
  context: RunEnvironment & { readonly onProgress?: ProgressListener },
): Promise<EvaluationResult> {
  const started = performance.now();
  const spec = parseConfig(evaluationSpecSchema, input, 'evaluation spec');
  const { registry } = context;
  const dataset = resolvePlugin(registry, 'dataset', spec.dataset);
  const measurements = {
    attacks: spec.attacks.map((a) => resolvePlugin(registry, 'attack', a)),
    shifts: spec.shifts.map((s) => resolvePlugin(registry, 'shift', s)),
    metrics: spec.metrics.map((m) => resolvePlugin(registry, 'metric', m)),
  };
  const strategies =
    spec.adaptation === undefined
      ? []
      : adaptationStrategies(spec.adaptation).map((s) =>
          resolvePlugin(registry, 'strategy', { name: s.name, config: s.config as Record<string, unknown> }),
        );
  const description = dataset.plugin.describe(dataset.config);
  const splitName = spec.split ?? (description.splits.includes('all') ? 'all' : 'test');
  if (!description.splits.includes(splitName)) {
    const splits = description.splits.join(', ');
    throw new ConfigError(
      `evaluation spec: dataset '${dataset.plugin.meta.name}' has no split '${splitName}' (splits: ${splits})`,
    );
  }
  const rng = Rng.fromSeed(spec.seed);
  const { model, description: modelDescription } = await loadModel(spec.model, rng.fork('model'), {
    cacheDir: context.cacheDir,
    onProgress: context.onProgress,
  });
  try {
    if (model.numClasses !== description.numClasses) {
      throw new ConfigError(
        `model '${spec.model}' has a ${model.numClasses}-class head but dataset '${dataset.plugin.meta.name}' has ${description.numClasses} classes`,
      );
    }
    adaptModel(model, strategies, rng.fork('strategies'));
    if (spec.adaptation !== undefined) loadAdaptation(model, spec.adaptation);
    const opened = await dataset.plugin.open(splitName, dataset.config, {
      imageSize: model.architecture.imageSize,
      dataDir: context.dataDir,
      files: datasetFiles(context.dataDir, dataset.plugin.meta.name, context.onProgress),
      rng: rng.fork('dataset'),
      onProgress: context.onProgress,
    });
    const where = `dataset '${dataset.plugin.meta.name}' split '${splitName}'`;
    const split = checkSplitLabels(opened, description.numClasses, where);
    const sample = sampleIndices(allIndices(split), spec.sample, rng.fork(`evaluation/${splitName}`));
    const images = await readImages(split, sample);
    const sets = [{ context: { split: splitName }, images, robustness: true }];
    const plan = evaluationPlan(measurements, sets, spec.batchSize, rng.fork('evaluation'), spec.microBatch);
    const points = await evaluate(model, plan, 0, 0);
    const used = [dataset, ...strategies, ...measurements.attacks, ...measurements.shifts, ...measurements.metrics];
    return {
      model: modelDescription,
      plugins: used.map(({ plugin }) => `${plugin.meta.name}@${plugin.meta.version}`),
      points,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
