import * as tf from '@tensorflow/tfjs';
import type { DatasetSplit, ImageBatch } from '../contracts/dataset.js';
import { UserError } from '../contracts/errors.js';
import { pixelsOf } from '../evaluation/evaluator.js';
import { microBatchSize } from '../model/footprint.js';
import type { VisionTransformer } from '../model/vit.js';
import { microBatchRanges } from '../tensor/micro-batch.js';
import type { Rng } from '../tensor/rng.js';
import { AdamW, decays } from './adamw.js';
import type { AdamWOptions, AdamWState } from './adamw.js';
import { learningRate } from './schedule.js';
import type { LearningRateSchedule } from './schedule.js';

/** Thrown when the training loss becomes NaN or infinite; the update of that step is not applied. */
export class TrainingDivergedError extends UserError {
  override readonly name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(
      `training diverged: the loss at step ${step} is ${loss}; lower the learning rate or enable gradient clipping`,
    );
  }
}

/** Thrown when a run is stopped on request (Ctrl-C); it can resume from its last checkpoint. */
export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';
  constructor(readonly step: number) {
    super(`stopped at step ${step} on request`);
  }
}

export interface StepEvent {
  readonly step: number;
  readonly epoch: number;
  /** Mean cross-entropy over the step's batch, of `images` images. */
  readonly loss: number;
  readonly images: number;
  readonly learningRate: number;
  readonly gradNorm: number;
}

export interface TrainerOptions {
  readonly model: VisionTransformer;
  readonly data: DatasetSplit;
  /** Indices of `data` to train on (the training part of the train/validation split). */
  readonly indices: Int32Array;
  readonly batchSize: number;
  /** Images per forward/backward pass (gradients are summed over a batch's passes); default: what fits the backend. */
  readonly microBatch?: number;
  readonly totalSteps: number;
  readonly schedule: LearningRateSchedule;
  readonly optimizer: AdamWOptions;
  readonly rng: Rng;
  /** Steps (completed optimiser steps) at which `evaluate` runs; 0 is before training. */
  readonly evaluationSteps: readonly number[];
  /** Measures the model; returns the validation accuracy used to keep the best checkpoint. */
  readonly evaluate: (step: number, epoch: number) => Promise<number>;
  readonly onStep?: (event: StepEvent) => void;
  readonly signal?: AbortSignal | undefined;
  /** Continue a run from a checkpoint: its step (already evaluated), optimiser state and best weights. */
  readonly resume?: TrainerState;
  /** Called after each evaluation with a way to snapshot the state (for a checkpoint). */
  readonly onEvaluated?: (snapshot: () => Promise<TrainerState>) => Promise<void> | void;
}

/** Everything besides the model's weights that a resumed run needs to continue exactly. */
export interface TrainerState {
  /** Optimiser steps completed. */
  readonly step: number;
  readonly optimizer: AdamWState;
  readonly best: {
    readonly step: number;
    readonly accuracy: number;
    readonly weights: ReadonlyMap<string, Float32Array>;
  };
}

export interface TrainingOutcome {
  readonly lastStep: number;
  readonly bestStep: number;
  readonly bestValidationAccuracy: number;
}

/** Steps per epoch: every training image once, the last batch possibly smaller (no images dropped). */
export const stepsPerEpoch = (images: number, batchSize: number): number => Math.ceil(images / batchSize);

/** A copy of the trainable variables' values (the best-validation weights). */
async function readWeights(
  trainable: ReturnType<VisionTransformer['trainableParameters']>,
): Promise<Map<string, Float32Array>> {
  const weights = new Map<string, Float32Array>();
  for (const { name, variable } of trainable) weights.set(name, ((await variable.data()) as Float32Array).slice());
  return weights;
}

/**
 * The mean cross-entropy over a batch and its gradients, computed `microBatch` images at a time: each pass
 * differentiates its share of the batch's loss (its images' summed loss over the batch size) and the shares'
 * gradients are summed, so the result is the whole batch's up to float rounding.
 */
async function batchGradients(
  model: VisionTransformer,
  batch: ImageBatch,
  microBatch: number,
  variables: tf.Variable[],
): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
  let loss = 0;
  let grads: tf.NamedTensorMap = {};
  for (const [start, end] of microBatchRanges(batch.count, microBatch)) {
    const pixels = pixelsOf(batch, start, end);
    const labels = batch.labels.subarray(start, end);
    const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), model.numClasses) as tf.Tensor2D);
    const share = (): tf.Scalar => {
      const summed = tf.losses.softmaxCrossEntropy(
        oneHot,
        model.logits(pixels),
        undefined,
        undefined,
        tf.Reduction.SUM,
      );
      return tf.div(summed, batch.count);
    };
    const part = tf.variableGrads(share, variables);
    loss += (await part.value.data())[0] as number;
    tf.dispose([part.value, pixels, oneHot]);
    if (start === 0) grads = part.grads;
    else {
      for (const [name, g] of Object.entries(part.grads)) {
        const sum = tf.add(grads[name] as tf.Tensor, g);
        tf.dispose([grads[name] as tf.Tensor, g]);
        grads[name] = sum;
      }
    }
  }
  return { loss, grads };
}

/**
 * Fine-tunes the model's trainable variables with AdamW and the schedule, evaluating at the scheduled steps.
 * Each epoch visits the training images in a seeded order; each step is one `tf.tidy` scope whose loss is read
 * outside it; a batch larger than the backend's memory allows runs in micro-batches whose gradients are summed
 * before the (clipped) AdamW step. The best-validation weights are kept and restored at the end.
 */
export async function train(options: TrainerOptions): Promise<TrainingOutcome> {
  const { model, data, indices, batchSize, totalSteps } = options;
  const trainable = model.trainableParameters();
  const optimizer = new AdamW(
    trainable.map(({ name, variable }) => ({ name, variable, decay: decays(name) })),
    options.optimizer,
  );
  const perEpoch = stepsPerEpoch(indices.length, batchSize);
  const evaluateAt = new Set(options.evaluationSteps);
  let best: TrainerState['best'] = options.resume?.best ?? {
    step: -1,
    accuracy: -Infinity,
    weights: new Map<string, Float32Array>(),
  };
  if (options.resume !== undefined) optimizer.restore(options.resume.optimizer);
  // Weight gradients, their running sum and a transient add: three copies of the trainable parameters.
  const gradientBytes = 3 * trainable.reduce((n, { variable }) => n + 4 * variable.size, 0);
  const microBatch = microBatchSize({
    architecture: model.architecture,
    pass: 'train',
    batchSize,
    requested: options.microBatch,
    fixedBytes: gradientBytes,
  });
  const start = options.resume?.step ?? 0;
  let order = new Int32Array();
  try {
    for (let step = start; ; step++) {
      const epoch = Math.floor(step / perEpoch);
      // A resumed run's first step was evaluated before the checkpoint was written.
      if (evaluateAt.has(step) && !(options.resume !== undefined && step === start)) {
        const accuracy = await options.evaluate(step, epoch);
        if (accuracy > best.accuracy) best = { step, accuracy, weights: await readWeights(trainable) };
        const current = best;
        await options.onEvaluated?.(async () => ({ step, optimizer: await optimizer.state(), best: current }));
      }
      if (step === totalSteps) break;
      if (options.signal?.aborted) throw new RunStoppedError(step);
      const position = step % perEpoch;
      // Each epoch's order is a pure function of the seed and the epoch, so a resumed run draws the same batches.
      if (position === 0 || order.length === 0)
        order = Int32Array.from(options.rng.fork(`epoch/${epoch}`).shuffle([...indices]));
      const batch = await data.read(
        order.subarray(position * batchSize, Math.min(indices.length, (position + 1) * batchSize)),
      );
      const lr = learningRate(options.schedule, step);
      const { loss, grads } = await batchGradients(
        model,
        batch,
        microBatch,
        trainable.map((t) => t.variable),
      );
      let gradNorm = Number.NaN;
      if (Number.isFinite(loss)) gradNorm = await optimizer.apply(grads, lr);
      tf.dispose(Object.values(grads));
      if (!Number.isFinite(loss)) throw new TrainingDivergedError(step, loss);
      options.onStep?.({ step: step + 1, epoch, loss, images: batch.count, learningRate: lr, gradNorm });
      // Let timers and signal handlers (Ctrl-C, progress redraws) run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
  }
  const lastStep = optimizer.steps;
  for (const { name, variable } of trainable) {
    const saved = best.weights.get(name);
    if (saved !== undefined) tf.tidy(() => variable.assign(tf.tensor(saved, variable.shape)));
  }
  return { lastStep, bestStep: best.step, bestValidationAccuracy: best.accuracy };
}
