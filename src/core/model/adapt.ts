import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../contracts/config.js';
import type { AdaptableModel, ModelArchitecture } from '../contracts/model.js';
import type { Adaptation, StrategyPlugin } from '../contracts/strategy.js';
import type { Rng } from '../tensor/rng.js';
import { baseParameters, isHead, sizeOf } from './architecture.js';
import type { VisionTransformer } from './vit.js';

/** A strategy with its validated config, as a run spec names it. */
export interface StrategyUse {
  readonly plugin: StrategyPlugin;
  readonly config: unknown;
}

/**
 * Applies strategies in order (stacking them, e.g. BitFit then LoRA). Each gets its own random stream,
 * forked by position and name, so stacking another strategy does not change the first one's initialisation.
 * @throws {@link ConfigError} for a strategy that trains nothing beyond the head without declaring `headOnly`.
 */
export function adaptModel(model: VisionTransformer, strategies: readonly StrategyUse[], rng: Rng): Adaptation[] {
  const adaptations = createAdaptations(model, strategies, rng, model.addedVariables().keys());
  for (const a of adaptations) model.addAdaptation(a);
  return adaptations;
}

function createAdaptations(
  model: AdaptableModel,
  strategies: readonly StrategyUse[],
  rng: Rng,
  existing: Iterable<string> = [],
): Adaptation[] {
  const seen = new Set<string>(existing);
  return strategies.map(({ plugin, config }, i) => {
    const adaptation = plugin.adapt(model, config, rng.fork(`strategy/${i}/${plugin.meta.name}`));
    const clash = clashingAddedName(model, adaptation, seen);
    if (clash !== undefined) {
      throw new ConfigError(
        `strategy '${plugin.meta.name}' adds parameter '${clash}', which already exists; stacked strategies must add distinct parameters`,
      );
    }
    for (const name of adaptation.added.keys()) seen.add(name);
    if (!trainsBeyondHead(model, adaptation) && adaptation.headOnly !== true) {
      const which = `strategy '${plugin.meta.name}' (config ${JSON.stringify(config)})`;
      throw new ConfigError(
        `${which} trains nothing beyond the head: it adds no parameter and trains no backbone parameter; ` +
          'check its config (a linear probe must declare headOnly)',
      );
    }
    return adaptation;
  });
}

/** Whether an adaptation adds a parameter or trains a base parameter outside the head. */
export function trainsBeyondHead(model: AdaptableModel, adaptation: Adaptation): boolean {
  return adaptation.added.size > 0 || model.parameters.some((p) => !isHead(p.name) && adaptation.trains(p.name));
}

/** The first parameter an adaptation adds under a name the model or an earlier adaptation (`existing`) has. */
export function clashingAddedName(
  model: AdaptableModel,
  adaptation: Adaptation,
  existing: ReadonlySet<string>,
): string | undefined {
  return [...adaptation.added.keys()].find(
    (name) => existing.has(name) || model.parameters.some((p) => p.name === name),
  );
}

/** Parameter counts of an adapted model, as the reference code's `print_trainable_parameters` reports them. */
export interface ParameterCounts {
  /** Parameters the optimiser updates: trained base parameters (head included) and added parameters. */
  readonly trainable: number;
  /** Parameters the strategies add (the head is not counted as added). */
  readonly added: number;
  /** Base parameters (backbone and head, no pooler) plus added parameters. */
  readonly total: number;
  readonly trainablePercent: number;
}

/** Counts for given adaptations of a model with the given base parameters. */
export function countParameters(model: AdaptableModel, adaptations: readonly Adaptation[]): ParameterCounts {
  let trainable = 0;
  let base = 0;
  for (const p of model.parameters) {
    const n = sizeOf(p.shape);
    base += n;
    if (isHead(p.name) || adaptations.some((a) => a.trains(p.name))) trainable += n;
  }
  let added = 0;
  for (const a of adaptations) for (const v of a.added.values()) added += v.size;
  return {
    trainable: trainable + added,
    added,
    total: base + added,
    trainablePercent: (100 * (trainable + added)) / (base + added),
  };
}

/** One parameter of an adapted model: base parameters in PyTorch shapes, added ones as their strategy made them. */
export interface ParameterRow {
  readonly name: string;
  readonly shape: readonly number[];
  /** Whether the optimiser updates it (the head always trains; added parameters always do). */
  readonly trains: boolean;
  /** Whether a strategy added it (otherwise it is a base parameter of the checkpoint). */
  readonly added: boolean;
}

/** Every parameter of an adapted model, base parameters in model order, then the added ones in strategy order. */
export function parameterRows(model: AdaptableModel, adaptations: readonly Adaptation[]): ParameterRow[] {
  const base = model.parameters.map((p) => ({
    name: p.name,
    shape: p.shape,
    trains: isHead(p.name) || adaptations.some((a) => a.trains(p.name)),
    added: false,
  }));
  const added = adaptations.flatMap((a) =>
    [...a.added].map(([name, variable]) => ({ name, shape: variable.shape, trains: true, added: true })),
  );
  return [...base, ...added];
}

/**
 * Counts and lists the parameters of an architecture adapted with strategies, without allocating the backbone:
 * only the strategies' added parameters are created, then freed.
 */
export function parametersForArchitecture(
  architecture: ModelArchitecture,
  strategies: readonly StrategyUse[],
  rng: Rng,
): { counts: ParameterCounts; parameters: ParameterRow[] } {
  const model: AdaptableModel = { architecture, parameters: baseParameters(architecture) };
  const adaptations = createAdaptations(model, strategies, rng);
  try {
    return { counts: countParameters(model, adaptations), parameters: parameterRows(model, adaptations) };
  } finally {
    for (const a of adaptations) tf.dispose([...a.added.values()]);
  }
}

/** Parameter counts for an architecture and strategies (see {@link parametersForArchitecture}). */
export function countForArchitecture(
  architecture: ModelArchitecture,
  strategies: readonly StrategyUse[],
  rng: Rng,
): ParameterCounts {
  return parametersForArchitecture(architecture, strategies, rng).counts;
}
