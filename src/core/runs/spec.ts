import { z } from 'zod';
import { ConfigError, parseConfig } from '../contracts/config.js';
import type { PluginFamily } from '../contracts/meta.js';
import type { PluginOf } from '../contracts/plugin.js';
import { stepListProblem } from '../evaluation/schedules.js';
import type { PluginRegistry } from '../registry/registry.js';

/** A plugin by name, with an optional config (validated by the plugin's own schema). */
export const pluginRef = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }),
]);
export const sampleSize = z.union([z.number().int().positive(), z.literal('all')]);

/**
 * A fine-tuning run, the one source of every setting (the reference code hard-coded some and ignored flags for
 * others). Defaults are the reference study's (protocol.md); training hyper-parameters left unset take the
 * strategy defaults of {@link trainingDefaults}.
 */
export const runSpecSchema = z.strictObject({
  /** Backbone: preset, checkpoint path or hf:<repo> (docs/models.md). */
  model: z.string().min(1).default('vit-base-patch16-224'),
  /** Fine-tuned parameters to start from (a file from saveAdaptation), e.g. to evaluate a result. */
  adaptation: z.string().min(1).optional(),
  dataset: pluginRef,
  /** Strategies to stack, in order (usually one). */
  strategies: z.array(pluginRef).min(1),
  attacks: z.array(pluginRef).default(['pgd']),
  shifts: z.array(pluginRef).default([]),
  metrics: z.array(pluginRef).min(1).default(['accuracy']),
  seed: z.number().int().default(0),
  /** Free labels to find runs by (filters of `paretune runs` and the GraphQL API). */
  tags: z.array(z.string().min(1)).default([]),
  training: z
    .strictObject({
      batchSize: z.number().int().positive().default(128),
      /** Images per forward/backward pass; a batch's passes sum their gradients (default: what fits the backend). */
      microBatch: z.number().int().positive().optional(),
      /** Epochs over the training part; ignored when `steps` is set. */
      epochs: z.number().positive().default(3),
      steps: z.number().int().nonnegative().optional(),
      learningRate: z.number().positive().optional(),
      weightDecay: z.number().nonnegative().optional(),
      schedule: z.enum(['linear', 'cosine', 'constant']).optional(),
      warmupSteps: z.number().int().nonnegative().optional(),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      epsilon: z.number().positive().default(1e-8),
      maxGradNorm: z.number().nonnegative().default(1),
      validationFraction: z.number().min(0).lt(1).default(0.1),
      /** Record the training loss every this many steps, besides at every evaluation step (default {@link LOSS_INTERVAL}). */
      lossInterval: z.number().int().positive().optional(),
      /** Train on a seeded subset of the training part: `{ perClass: n }` or `{ total: n }` (quick experiments). */
      subset: z
        .union([
          z.strictObject({ perClass: z.number().int().positive() }),
          z.strictObject({ total: z.number().int().positive() }),
        ])
        .optional(),
    })
    .prefault({}),
  evaluation: z
    .strictObject({
      schedule: z
        .union([
          z.enum(['code', 'paper']),
          z.array(z.number().int().nonnegative()).superRefine((steps, ctx) => {
            const problem = stepListProblem(steps);
            if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
          }),
        ])
        .default('code'),
      /** Fixed seeded sample of training images for train accuracy (the reference code used all, slowly). */
      trainSample: sampleSize.default(1024),
      validationSample: sampleSize.default('all'),
      testSample: sampleSize.default('all'),
      batchSize: z.number().int().positive().default(64),
      /** Images per forward or attack pass (default: what fits the backend); results per image do not depend on it. */
      microBatch: z.number().int().positive().optional(),
    })
    .prefault({}),
});

/** Steps between two recorded training losses when `training.lossInterval` is not set. */
export const LOSS_INTERVAL = 10;

export type RunSpecInput = z.input<typeof runSpecSchema>;
export type RunSpec = z.output<typeof runSpecSchema>;

/** Strategy-dependent defaults of the reference study (protocol.md §3). */
export function trainingDefaults(strategyNames: readonly string[]): {
  learningRate: number;
  weightDecay: number;
  schedule: 'linear' | 'cosine';
  warmupSteps: number;
} {
  return strategyNames.includes('full')
    ? { learningRate: 2e-5, weightDecay: 0.01, schedule: 'linear', warmupSteps: 0 }
    : { learningRate: 5e-3, weightDecay: 0, schedule: 'cosine', warmupSteps: 800 };
}

export type PluginRef = z.infer<typeof pluginRef>;

/** Looks a plugin reference up and validates its config. */
export function resolvePlugin<F extends PluginFamily>(
  registry: PluginRegistry,
  family: F,
  ref: PluginRef,
): ResolvedPlugin<F> {
  const { name, config } = typeof ref === 'string' ? { name: ref, config: undefined } : ref;
  return { plugin: registry.get(family, name), config: registry.parseConfig(family, name, config) };
}

/** A plugin of a run with its validated config. */
export interface ResolvedPlugin<F extends PluginFamily> {
  readonly plugin: PluginOf<F>;
  readonly config: unknown;
}

/** A validated spec with every plugin looked up and every plugin config validated. */
export interface ResolvedRun {
  readonly spec: RunSpec;
  readonly dataset: ResolvedPlugin<'dataset'>;
  readonly strategies: readonly ResolvedPlugin<'strategy'>[];
  readonly attacks: readonly ResolvedPlugin<'attack'>[];
  readonly shifts: readonly ResolvedPlugin<'shift'>[];
  readonly metrics: readonly ResolvedPlugin<'metric'>[];
  readonly training: Omit<RunSpec['training'], DefaultedTraining> & {
    readonly [K in DefaultedTraining]: NonNullable<RunSpec['training'][K]>;
  };
}

/** Training settings whose defaults depend on the strategies (see trainingDefaults). */
type DefaultedTraining = 'learningRate' | 'weightDecay' | 'schedule' | 'warmupSteps';

/**
 * Validates a run spec and resolves its plugins and their configs, before any work starts.
 * @throws ConfigError or PluginError naming the field, plugin or value.
 */
export function resolveRun(input: unknown, registry: PluginRegistry): ResolvedRun {
  const spec = parseConfig(runSpecSchema, input, 'run spec');
  const resolve = <F extends PluginFamily>(family: F, ref: PluginRef): ResolvedPlugin<F> =>
    resolvePlugin(registry, family, ref);
  const strategies = spec.strategies.map((s) => resolve('strategy', s));
  const names = strategies.map((s) => s.plugin.meta.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  // a strategy's parameters would clash with its own: stacking is for different strategies
  if (twice !== undefined)
    throw new ConfigError(
      `run spec is invalid: field 'strategies': '${twice}' is listed more than once (${names.join('+')})`,
    );
  const defaults = trainingDefaults(strategies.map((s) => s.plugin.meta.name));
  return {
    spec,
    dataset: resolve('dataset', spec.dataset),
    strategies,
    attacks: spec.attacks.map((a) => resolve('attack', a)),
    shifts: spec.shifts.map((s) => resolve('shift', s)),
    metrics: spec.metrics.map((m) => resolve('metric', m)),
    training: {
      ...spec.training,
      learningRate: spec.training.learningRate ?? defaults.learningRate,
      weightDecay: spec.training.weightDecay ?? defaults.weightDecay,
      schedule: spec.training.schedule ?? defaults.schedule,
      warmupSteps: spec.training.warmupSteps ?? defaults.warmupSteps,
    },
  };
}
