import type { PluginFamily } from '../contracts/meta.js';
import type { MetricContext } from '../contracts/metric.js';
import { findPreset } from '../model/architecture.js';
import { namedModelId } from '../model/identity.js';
import type { PluginRegistry } from '../registry/registry.js';
import { metricVersion } from '../runs/frontiers.js';
import { stableJson } from '../runs/experiment.js';
import type { RunSpec } from '../runs/spec.js';
import type { RunRecord } from '../store/store.js';

/**
 * A plugin config with its defaults filled in (the registry's parseConfig); undefined where the plugin is not
 * registered here or refuses the stored config, and then the stored config is compared as written.
 */
export type ConfigResolver = (family: PluginFamily, name: string, config: unknown) => unknown;

/** Completes configs with the plugins registered here. */
export const registryResolver =
  (registry: PluginRegistry): ConfigResolver =>
  (family, name, config) =>
    registry.parseConfig(family, name, config);

/** A plugin reference as `{ name, config }`, its config completed by `resolve` where it can be. */
function normalisedRef(
  family: PluginFamily,
  ref: unknown,
  resolve?: ConfigResolver,
): { name: string; config: unknown } {
  const { name, config } =
    typeof ref === 'string' ? { name: ref, config: undefined } : (ref as { name: string; config?: unknown });
  let full: unknown;
  try {
    full = resolve?.(family, name, config);
  } catch {
    full = undefined; // a plugin missing here, or a config it no longer accepts
  }
  return { name, config: full ?? config ?? {} };
}

/**
 * What makes two runs' AUPFs comparable (same board): backbone, dataset and its config, evaluation samples and
 * schedule, the frontier's attack and its full config, the accuracy metric's version and the training budget.
 */
export interface Protocol {
  /** Stable model id (Run.model), or the model source where none is known. */
  readonly model: string;
  readonly dataset: { readonly name: string; readonly config: unknown };
  readonly evaluation: {
    readonly schedule: unknown;
    readonly trainSample: unknown;
    readonly validationSample: unknown;
    readonly testSample: unknown;
  };
  /** The attack of the frontier's robust accuracy with its full config, and the measured threat model. */
  readonly attack: { readonly name: string; readonly config: unknown; readonly norm: string; readonly eps: number };
  /** Version of the accuracy metric ('' where not recorded). */
  readonly accuracyVersion: string;
  readonly training: {
    readonly steps: number | null;
    readonly epochs: number | null;
    readonly batchSize: number;
    readonly subset: unknown;
    readonly validationFraction: number;
  };
}

/** A run's model id, or its model source where no id is known (an older run of a checkpoint no longer there). */
const protocolModel = (run: RunRecord): string => {
  const source = (run.spec as RunSpec).model;
  return run.modelId ?? namedModelId(source) ?? source;
};

/** A key equal for equal values, whatever the order of their objects' fields. */
export const keyOf = (value: unknown): string => stableJson(value);

/** The protocol of a run whose frontier uses the robust accuracy `robust` (a test context with attack, norm, eps). */
export function protocolOf(run: RunRecord, robust: MetricContext, resolve?: ConfigResolver): Protocol {
  const spec = run.spec as RunSpec;
  const named = (ref: RunSpec['attacks'][number]): string => (typeof ref === 'string' ? ref : ref.name);
  const attackRef = spec.attacks.find((a) => named(a) === robust['attack']) ?? String(robust['attack']);
  const { schedule, trainSample, validationSample, testSample } = spec.evaluation;
  const { steps, epochs, batchSize, subset, validationFraction } = spec.training;
  return {
    model: protocolModel(run),
    dataset: normalisedRef('dataset', spec.dataset, resolve),
    evaluation: { schedule, trainSample, validationSample, testSample },
    attack: {
      ...normalisedRef('attack', attackRef, resolve),
      norm: String(robust['norm']),
      eps: Number(robust['eps']),
    },
    accuracyVersion: metricVersion(run, 'accuracy') ?? '',
    // An epoch count does not set the budget when steps do.
    training: {
      steps: steps ?? null,
      epochs: steps === undefined ? epochs : null,
      batchSize,
      subset: subset ?? null,
      validationFraction,
    },
  };
}

/**
 * What tells runs of one protocol apart within a board: the spec without seed and tags (seeds are pooled), without
 * settings that do not change results (micro-batches, evaluation batch size, the loss interval), with the model as
 * its id and plugin references with their full configs. Runs with equal settings form one entry.
 */
export function settingOf(run: RunRecord, resolve?: ConfigResolver): Record<string, unknown> {
  const { seed: _seed, tags: _tags, model: _model, training, evaluation, ...rest } = run.spec as RunSpec;
  const { microBatch: _trainMicro, lossInterval: _loss, ...trainingSetting } = training;
  const { microBatch: _evalMicro, batchSize: _evalBatch, ...evaluationSetting } = evaluation;
  const refs = (family: PluginFamily, list: readonly unknown[]): unknown[] =>
    list.map((ref) => normalisedRef(family, ref, resolve));
  return {
    ...rest,
    model: protocolModel(run),
    dataset: normalisedRef('dataset', rest.dataset, resolve),
    strategies: refs('strategy', rest.strategies),
    attacks: refs('attack', rest.attacks),
    shifts: refs('shift', rest.shifts),
    metrics: refs('metric', rest.metrics),
    training: trainingSetting,
    evaluation: evaluationSetting,
  };
}

/**
 * The dotted paths (e.g. `strategies`, `training.learningRate`) at which some of the values differ: what tells a
 * board's entries apart. Arrays are compared whole.
 */
export function differences(values: readonly unknown[]): string[] {
  const paths = new Set<string>();
  const walk = (items: readonly unknown[], path: string): void => {
    const objects = items.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    if (!objects) {
      if (new Set(items.map(keyOf)).size > 1) paths.add(path);
      return;
    }
    const fields = new Set(items.flatMap((v) => Object.keys(v as object)));
    for (const field of fields) {
      walk(
        items.map((v) => (v as Record<string, unknown>)[field] ?? null),
        path === '' ? field : `${path}.${field}`,
      );
    }
  };
  if (values.length > 1) walk(values, '');
  return [...paths].sort();
}

/** The value at a dotted path (`training.learningRate`) of an object. */
export const valueAt = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, field) => (v as Record<string, unknown> | undefined)?.[field], value);

/** A setting's values at the paths in which a board's entries differ, strategies aside: `training.learningRate=0.001`. */
export const settingValues = (setting: Record<string, unknown>, paths: readonly string[]): string[] =>
  paths.filter((p) => p !== 'strategies').map((p) => `${p}=${JSON.stringify(valueAt(setting, p) ?? null)}`);

/** A backbone's shape as entries show it. */
export interface ArchitectureSummary {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
}

/** The architecture a run recorded, or its preset's; undefined for an older checkpoint run. */
export function architectureOfRun(run: RunRecord): ArchitectureSummary | undefined {
  const recorded = (run.result as { architecture?: ArchitectureSummary } | null)?.architecture;
  const config = recorded ?? findPreset(protocolModel(run))?.config;
  if (config === undefined) return undefined;
  const { imageSize, patchSize, hiddenSize, numLayers } = config;
  return { imageSize, patchSize, hiddenSize, numLayers };
}
