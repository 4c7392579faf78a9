import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import type { AttackPlugin } from '../contracts/attack.js';
import { checkSplitLabels } from '../contracts/dataset.js';
import type { DatasetSplit, ProgressListener } from '../contracts/dataset.js';
import type { MetricContext } from '../contracts/metric.js';
import type { ModelArchitecture } from '../contracts/model.js';
import { datasetFiles } from '../data/files.js';
import { canonicalJson } from '../evaluation/context.js';
import { evaluate } from '../evaluation/evaluator.js';
import type { EvaluationSet, MeasuredPoint } from '../evaluation/evaluator.js';
import { evaluationSteps } from '../evaluation/schedules.js';
import type { FrontierResult, Objective } from '../frontier/pareto.js';
import { accuracyObjectives, runFrontier, threatLabel } from './frontiers.js';
import { adaptModel, countParameters } from '../model/adapt.js';
import type { ParameterCounts } from '../model/adapt.js';
import { loadAdaptation, saveAdaptation } from '../model/adaptation-file.js';
import { saveCheckpoint } from '../model/checkpoint.js';
import { architectureOf, loadModel } from '../model/source.js';
import type { LoadedModel } from '../model/source.js';
import type { VisionTransformer } from '../model/vit.js';
import { Rng } from '../tensor/rng.js';
import { allIndices, readImages, sampleIndices } from '../evaluation/sets.js';
import { stratifiedSplit, subsetIndices } from '../training/split.js';
import { GpuMemoryError } from '../tensor/webgpu.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../training/checkpoint.js';
import { RunStoppedError, stepsPerEpoch, train } from '../training/trainer.js';
import type { StepEvent, TrainerOptions, TrainerState } from '../training/trainer.js';
import { assertWritable } from './outputs.js';
import type { RunEnvironment } from './environment.js';
import { evaluationPlan } from './plan.js';
import { LOSS_INTERVAL, resolveRun } from './spec.js';
import type { ResolvedRun } from './spec.js';

/** What a run reports while it works. */
export type RunEvent =
  | {
      readonly type: 'started';
      /** The TensorFlow.js backend the run executes on. */
      readonly backend: string;
      readonly spec: ResolvedRun['spec'];
      readonly plugins: readonly string[];
      readonly totalSteps: number;
      readonly evaluationSteps: readonly number[];
      /** Stable id of the backbone (see modelId) and its display text. */
      readonly modelId: string;
      readonly model: string;
      readonly parameters: ParameterCounts;
    }
  | ({ readonly type: 'step' } & StepEvent)
  | { readonly type: 'evaluation'; readonly step: number; readonly points: readonly MeasuredPoint[] };

export interface RunContext extends RunEnvironment {
  readonly onEvent?: (event: RunEvent) => void;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Where to save the fine-tuned parameters (best-validation checkpoint) with saveAdaptation. */
  readonly saveAdaptation?: string;
  /** A training checkpoint written after every evaluation, so a killed run can resume. */
  readonly checkpoint?: CheckpointOptions;
  /**
   * Where to save the model's base weights (best-validation checkpoint) as a Hugging Face checkpoint, e.g. a
   * backbone pre-trained with the `full` strategy; `head: false` leaves the head out (see saveCheckpoint).
   */
  readonly saveModel?: { readonly dir: string; readonly head: boolean };
}

export interface CheckpointOptions {
  readonly file: string;
  /** Continue from `file` instead of starting over; `points` are the ones the interrupted run already measured. */
  readonly resume?: { readonly points: readonly MeasuredPoint[] };
  /** Called after each checkpoint is written. */
  readonly onSaved?: (step: number) => void;
}

export interface RunResult {
  readonly spec: ResolvedRun['spec'];
  /** `name@version` of every plugin the run used. */
  readonly plugins: readonly string[];
  readonly modelId: string;
  readonly model: string;
  /** The backbone's shape (the head's classes aside). */
  readonly architecture: Pick<ModelArchitecture, 'imageSize' | 'patchSize' | 'hiddenSize' | 'numLayers'>;
  readonly parameters: ParameterCounts;
  readonly points: readonly MeasuredPoint[];
  readonly lastStep: number;
  readonly bestStep: number;
  /** Test clean accuracy vs. robust accuracy under the first attack's first threat model, over the logged steps. */
  readonly frontier?: FrontierResult<{ step: number }>;
  readonly seconds: { readonly total: number; readonly evaluation: number };
  /**
   * Which data the run used: each split's source, its images, the source files left out because they do not decode
   * (`skipped`, only when some were) and the sizes of the parts it was cut into.
   */
  readonly data: {
    readonly train: SplitRecord & { readonly trained: number; readonly validation: number };
    readonly test: SplitRecord & { readonly evaluated: number };
  };
}

type SplitRecord = { readonly source?: string | undefined; readonly images: number; readonly skipped?: number };

const skippedOf = (split: DatasetSplit): { skipped?: number } =>
  split.skipped === undefined ? {} : { skipped: split.skipped };

/** The metric of the training loss, recorded as points in context `{ split: 'train' }` (see `training.lossInterval`). */
export const TRAINING_LOSS = 'loss';

/** Whether an evaluation event only carries training losses (no model was measured). */
export const onlyLosses = (points: readonly MeasuredPoint[]): boolean => points.every((p) => p.name === TRAINING_LOSS);

/** Thrown when a run fails after it started measuring; carries every point measured until then. */
export class RunFailedError extends Error {
  override readonly name = 'RunFailedError';
  constructor(
    override readonly cause: Error,
    readonly points: readonly MeasuredPoint[],
  ) {
    super(cause.message, { cause });
  }
}

/** The run's frontier objectives: test accuracy and the robust accuracy of the first attack's first threat model. */
export function frontierObjectives(run: ResolvedRun): [Objective, Objective] | undefined {
  const attack = run.attacks[0];
  const threat = attack ? (attack.plugin as AttackPlugin).threatModels(attack.config)[0] : undefined;
  if (attack === undefined || threat === undefined) return undefined;
  return accuracyObjectives({ split: 'test', attack: attack.plugin.meta.name, norm: threat.norm, eps: threat.eps });
}

/** One line through Node's warning channel: a frontier without points has an AUPF of 0 that measures nothing. */
function warnEmptyFrontier(robustContext: string | undefined): void {
  const threat = threatLabel(JSON.parse(robustContext ?? '{}') as MetricContext);
  const message = `no logged step has both test accuracy and robust accuracy under ${threat}: the frontier is empty`;
  process.emitWarning(`${message}; its AUPF 0 measures nothing`, {
    type: 'RunWarning',
    code: 'PARETUNE_EMPTY_FRONTIER',
  });
}

/**
 * Opens a split of the run's dataset, checking its labels. A plugin stopped while it loads (signal.throwIfAborted)
 * stops the run as a stop between steps does: resumable.
 */
function splitOpener(
  run: ResolvedRun,
  context: RunContext,
  imageSize: number,
  rng: Rng,
): (split: string) => Promise<DatasetSplit> {
  const { plugin, config } = run.dataset;
  const { numClasses } = plugin.describe(config);
  const options = {
    imageSize,
    dataDir: context.dataDir,
    files: datasetFiles(context.dataDir, plugin.meta.name, context.onProgress),
    rng,
    onProgress: context.onProgress,
    signal: context.signal,
  };
  return (split) =>
    plugin.open(split, config, options).then(
      (opened) => checkSplitLabels(opened, numClasses, `dataset '${plugin.meta.name}' split '${split}'`),
      (error: unknown) => {
        throw context.signal?.aborted === true
          ? new RunStoppedError(context.checkpoint?.resume?.points.at(-1)?.step ?? 0)
          : error;
      },
    );
}

/** The run's training data, split into what trains and what validates. */
interface TrainingData {
  readonly trainData: DatasetSplit;
  readonly testData: DatasetSplit;
  readonly trainIndices: Int32Array;
  readonly validationIndices: Int32Array;
}

/**
 * The fixed, seeded image sets measured at every evaluation: train, validation (when there is one) and test, and
 * each out-of-distribution split a shift provides, measured on its own and pooled per shift.
 */
async function evaluationSets(
  run: ResolvedRun,
  { trainData, testData, trainIndices, validationIndices }: TrainingData,
  open: (split: string) => Promise<DatasetSplit>,
  rng: Rng,
): Promise<EvaluationSet[]> {
  const { evaluation } = run.spec;
  const sample = (from: Int32Array, size: number | 'all', label: string): Int32Array =>
    sampleIndices(from, size, rng.fork(`evaluation/${label}`));
  const sets: EvaluationSet[] = [
    {
      context: { split: 'train' },
      images: await readImages(trainData, sample(trainIndices, evaluation.trainSample, 'train')),
      robustness: false,
    },
  ];
  if (validationIndices.length > 0) {
    sets.push({
      context: { split: 'validation' },
      images: await readImages(trainData, sample(validationIndices, evaluation.validationSample, 'validation')),
      robustness: false,
    });
  }
  sets.push({
    context: { split: 'test' },
    images: await readImages(testData, sample(allIndices(testData), evaluation.testSample, 'test')),
    robustness: true,
  });
  const description = run.dataset.plugin.describe(run.dataset.config);
  for (const { plugin, config } of run.shifts) {
    if (plugin.kind !== 'split') continue;
    for (const name of plugin.splits(description, config)) {
      const split = await open(name);
      const shift = plugin.meta.name;
      sets.push({
        context: { split: name, shift, domain: name.replace(/\/test$/, '') },
        images: await readImages(split, sample(allIndices(split), evaluation.testSample, name)),
        robustness: false,
        pools: [{ split: 'ood', shift }],
      });
    }
  }
  return sets;
}

/**
 * The best-validation checkpoint's points, at the last step. The restored best weights are exactly those measured
 * at bestStep, and an evaluation depends only on the weights (its samples and random streams never depend on the
 * step), so they repeat bestStep's; undefined when bestStep was not measured (they must be measured then).
 */
function finalPoints(
  points: readonly MeasuredPoint[],
  { bestStep, lastStep }: { bestStep: number; lastStep: number },
  epoch: number,
): MeasuredPoint[] | undefined {
  const atBest = points.filter(
    (p) => p.step === bestStep && p.context['checkpoint'] === undefined && p.name !== TRAINING_LOSS,
  );
  if (atBest.length === 0) return undefined;
  return atBest.map((p) => ({
    ...p,
    step: lastStep,
    epoch,
    context: { ...p.context, checkpoint: 'best', bestStep },
  }));
}

/** The training loss of a step, as a point of the metric `loss` on the training batch. */
const lossPoint = (event: StepEvent): MeasuredPoint => ({
  step: event.step,
  epoch: event.epoch,
  name: TRAINING_LOSS,
  context: { split: 'train' },
  value: event.loss,
  count: event.images,
  seconds: 0,
});

/** What the run read of its dataset, for its record. */
function dataSummary(
  { trainData, testData, trainIndices, validationIndices }: TrainingData,
  sets: readonly EvaluationSet[],
): RunResult['data'] {
  return {
    train: {
      source: trainData.source,
      images: trainData.size,
      ...skippedOf(trainData),
      trained: trainIndices.length,
      validation: validationIndices.length,
    },
    test: {
      source: testData.source,
      images: testData.size,
      ...skippedOf(testData),
      evaluated: sets.find((s) => s.context['split'] === 'test')?.images.count ?? 0,
    },
  };
}

/** Saves what the run was asked to keep: the fine-tuned parameters and the whole model. */
async function saveOutputs(model: VisionTransformer, run: ResolvedRun, context: RunContext): Promise<void> {
  if (context.saveAdaptation !== undefined) {
    await saveAdaptation(
      model,
      context.saveAdaptation,
      run.strategies.map(({ plugin, config }) => ({ name: plugin.meta.name, version: plugin.meta.version, config })),
    );
  }
  if (context.saveModel !== undefined)
    await saveCheckpoint(model, context.saveModel.dir, { head: context.saveModel.head });
}

/** `name@version` of every plugin a run uses. */
const pluginVersions = (run: ResolvedRun): string[] =>
  [run.dataset, ...run.strategies, ...run.attacks, ...run.shifts, ...run.metrics].map(
    ({ plugin }) => `${plugin.meta.name}@${plugin.meta.version}`,
  );

/** The event that opens a run's report. */
const startedEvent = (
  run: ResolvedRun,
  loaded: LoadedModel,
  parameters: ParameterCounts,
  totalSteps: number,
  steps: readonly number[],
): RunEvent => ({
  type: 'started',
  backend: tf.getBackend(),
  spec: run.spec,
  plugins: pluginVersions(run),
  totalSteps,
  evaluationSteps: steps,
  modelId: loaded.id,
  model: loaded.description,
  parameters,
});

/** Fails before any work when an output the run was asked to write cannot be written. */
function assertOutputsWritable(context: RunContext): void {
  if (context.saveAdaptation !== undefined)
    assertWritable(context.saveAdaptation, 'file', 'cannot save the fine-tuned parameters to');
  if (context.saveModel !== undefined) assertWritable(context.saveModel.dir, 'folder', 'cannot save the model to');
}

/** The run's backbone (loaded, not yet adapted), its architecture and its dataset's train and test splits. */
async function openInputs(run: ResolvedRun, context: RunContext, rng: Rng) {
  const { numClasses } = run.dataset.plugin.describe(run.dataset.config);
  const source = { numClasses, cacheDir: context.cacheDir, onProgress: context.onProgress };
  const architecture = await architectureOf(run.spec.model, source);
  const open = splitOpener(run, context, architecture.imageSize, rng.fork('dataset'));
  const trainData = await open('train');
  const testData = await open('test');
  const loaded = await loadModel(run.spec.model, rng.fork('model'), source);
  return { architecture, open, trainData, testData, loaded };
}

/** Splits the training data 90/10 (seeded, stratified) and takes the configured subset of what trains. */
function splitTrainingData(run: ResolvedRun, trainData: DatasetSplit, testData: DatasetSplit, rng: Rng): TrainingData {
  const { training } = run;
  const parts = stratifiedSplit(trainData.labels, training.validationFraction, rng.fork('split'));
  const trainIndices =
    training.subset === undefined
      ? parts.first
      : subsetIndices(parts.first, trainData.labels, training.subset, rng.fork('subset'));
  return { trainData, testData, trainIndices, validationIndices: parts.second };
}

/**
 * The points a run has measured (a resumed run's earlier ones first) and the time its evaluations took; each new
 * batch of points is also reported as an evaluation event.
 */
class RunPoints {
  readonly all: MeasuredPoint[];
  evaluationSeconds = 0;

  constructor(private readonly context: RunContext) {
    this.all = [...(context.checkpoint?.resume?.points ?? [])];
  }

  add(step: number, points: MeasuredPoint[]): void {
    this.all.push(...points);
    this.context.onEvent?.({ type: 'evaluation', step, points });
  }

  /** Runs one evaluation, adds `extra` to its points' contexts and records them. */
  async measure(evaluation: Promise<MeasuredPoint[]>, step: number, extra: MetricContext): Promise<MeasuredPoint[]> {
    const t0 = performance.now();
    const measured = (await evaluation).map((p) => ({ ...p, context: { ...p.context, ...extra } }));
    this.evaluationSeconds += (performance.now() - t0) / 1000;
    this.add(step, measured);
    return measured;
  }
}

/** What training needs beyond the model and its data: how it is measured, reported and checkpointed. */
interface TrainingHooks {
  readonly context: RunContext;
  readonly points: RunPoints;
  readonly steps: readonly number[];
  readonly measure: (step: number, epoch: number) => Promise<MeasuredPoint[]>;
  /** The trainer's state to resume from (read before the run reports that it started). */
  readonly resume: TrainerState | undefined;
}

/** The trainer's options: the run's settings, validation accuracy as model selection, losses and checkpoints. */
function trainerOptions(
  run: ResolvedRun,
  model: VisionTransformer,
  data: TrainingData,
  totalSteps: number,
  rng: Rng,
  { context, points, steps, measure, resume }: TrainingHooks,
): TrainerOptions {
  const { training } = run;
  const lossInterval = training.lossInterval ?? LOSS_INTERVAL;
  const evaluateAt = new Set(steps);
  const validationContext = canonicalJson({ split: data.validationIndices.length > 0 ? 'validation' : 'train' });
  const validationAccuracy = (measured: readonly MeasuredPoint[]): number =>
    measured.find((p) => p.name === 'accuracy' && canonicalJson(p.context) === validationContext)?.value ?? Number.NaN;
  const { checkpoint } = context;
  return {
    model,
    data: data.trainData,
    indices: data.trainIndices,
    batchSize: training.batchSize,
    ...(training.microBatch === undefined ? {} : { microBatch: training.microBatch }),
    totalSteps,
    schedule: { name: training.schedule, peak: training.learningRate, warmupSteps: training.warmupSteps, totalSteps },
    optimizer: training,
    rng: rng.fork('training'),
    evaluationSteps: steps,
    evaluate: async (step, epoch) => validationAccuracy(await measure(step, epoch)),
    onStep: (event) => {
      context.onEvent?.({ type: 'step', ...event });
      if (event.step % lossInterval === 0 || evaluateAt.has(event.step)) points.add(event.step, [lossPoint(event)]);
    },
    signal: context.signal,
    ...(resume === undefined ? {} : { resume }),
    ...(checkpoint === undefined
      ? {}
      : {
          onEvaluated: async (snapshot) => {
            const state = await snapshot();
            await saveTrainingCheckpoint(checkpoint.file, model, state);
            checkpoint.onSaved?.(state.step);
          },
        }),
  };
}

/** Steps per epoch, the run's length in steps and the steps it is evaluated at. */
function trainingLength(run: ResolvedRun, data: TrainingData) {
  const perEpoch = stepsPerEpoch(data.trainIndices.length, run.training.batchSize);
  const totalSteps = run.training.steps ?? Math.round(run.training.epochs * perEpoch);
  return { perEpoch, totalSteps, steps: evaluationSteps(run.spec.evaluation.schedule, totalSteps) };
}

/** The run's frontier over its logged steps (see frontierObjectives), with a warning when it has no point. */
function frontierOf(run: ResolvedRun, points: readonly MeasuredPoint[]): FrontierResult<{ step: number }> | undefined {
  const objectives = frontierObjectives(run);
  if (objectives === undefined) return undefined;
  const frontier = runFrontier(points, objectives);
  if (frontier.points.length === 0) warnEmptyFrontier(objectives[1].context);
  return frontier;
}

/** A run's failure: a GPU out-of-memory error names the batch sizes; points measured so far travel with it. */
function runFailure(caught: unknown, run: ResolvedRun, points: readonly MeasuredPoint[]): unknown {
  const error =
    caught instanceof GpuMemoryError
      ? new GpuMemoryError(
          `${caught.message}: training.batchSize is ${run.training.batchSize}, evaluation.batchSize ${run.spec.evaluation.batchSize}`,
        )
      : caught;
  return points.length > 0 ? new RunFailedError(error as Error, points) : error;
}

/**
 * Runs one fine-tuning run: resolves and validates the spec (before any work), loads and adapts the backbone,
 * splits the training data 90/10 (seeded, stratified), trains with AdamW under the schedule, measures every
 * metric at the scheduled steps on fixed seeded subsets, and finally measures the best-validation checkpoint.
 * Final points carry `checkpoint: 'best'` and `bestStep` in their context and the last step as their step.
 */
export async function runFineTuning(input: unknown, context: RunContext): Promise<RunResult> {
  const started = performance.now();
  const run = resolveRun(input, context.registry);
  assertOutputsWritable(context);
  const { spec } = run;
  const rng = Rng.fromSeed(spec.seed);
  const { architecture, open, trainData, testData, loaded } = await openInputs(run, context, rng);
  const { model } = loaded;
  const points = new RunPoints(context);
  try {
    const parameters = countParameters(model, adaptModel(model, run.strategies, rng.fork('strategies')));
    if (spec.adaptation !== undefined) loadAdaptation(model, spec.adaptation);
    // An unreadable checkpoint fails the run before it starts: it stays resumable as it was.
    const { checkpoint } = context;
    const resume = checkpoint?.resume === undefined ? undefined : loadTrainingCheckpoint(checkpoint.file, model);
    const data = splitTrainingData(run, trainData, testData, rng);
    const sets = await evaluationSets(run, data, open, rng);
    const { batchSize: evaluationBatch, microBatch } = spec.evaluation;
    const plan = evaluationPlan(run, sets, evaluationBatch, rng.fork('evaluation'), microBatch);
    const { perEpoch, totalSteps, steps } = trainingLength(run, data);
    const epochOf = (step: number): number => Math.floor(step / perEpoch);
    context.onEvent?.(startedEvent(run, loaded, parameters, totalSteps, steps));
    const measure = (step: number, epoch: number, extra: MetricContext = {}): Promise<MeasuredPoint[]> =>
      points.measure(evaluate(model, plan, step, epoch), step, extra);
    const hooks = { context, points, steps, measure, resume };
    const outcome = await train(trainerOptions(run, model, data, totalSteps, rng, hooks));
    const final = finalPoints(points.all, outcome, epochOf(outcome.lastStep));
    if (final === undefined)
      await measure(outcome.lastStep, epochOf(outcome.lastStep), { checkpoint: 'best', bestStep: outcome.bestStep });
    else points.add(outcome.lastStep, final);
    const frontier = frontierOf(run, points.all);
    await saveOutputs(model, run, context);
    const { imageSize, patchSize, hiddenSize, numLayers } = architecture;
    return {
      spec,
      plugins: pluginVersions(run),
      modelId: loaded.id,
      model: loaded.description,
      architecture: { imageSize, patchSize, hiddenSize, numLayers },
      parameters,
      points: points.all,
      lastStep: outcome.lastStep,
      bestStep: outcome.bestStep,
      ...(frontier === undefined ? {} : { frontier }),
      seconds: { total: (performance.now() - started) / 1000, evaluation: points.evaluationSeconds },
      data: dataSummary(data, sets),
    };
  } catch (caught) {
    throw runFailure(caught, run, points.all);
  } finally {
    model.dispose();
  }
}
