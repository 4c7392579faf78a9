import { renameSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, readSafetensorsHeader, readTensor, writeSafetensors } from '../model/safetensors.js';
import type { VisionTransformer } from '../model/vit.js';
import type { TrainerState } from './trainer.js';

const FORMAT = 'paretune-training-checkpoint';

/**
 * Writes a resumable checkpoint: the trainable parameters, AdamW's moments and the best-validation weights, with
 * the step counts in the metadata. Written to a temporary name and renamed, so a killed process leaves the
 * previous checkpoint intact. (Batch order and every random draw are pure functions of the seed and the step, so
 * no random-number state needs saving.)
 */
export async function saveTrainingCheckpoint(
  file: string,
  model: VisionTransformer,
  state: TrainerState,
): Promise<void> {
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const { name, variable } of model.trainableParameters()) {
    tensors.set(`param:${name}`, { shape: variable.shape, data: (await variable.data()) as Float32Array });
    const moments = state.optimizer.moments.get(name);
    if (moments !== undefined) {
      tensors.set(`adam_m:${name}`, { shape: variable.shape, data: moments.m });
      tensors.set(`adam_v:${name}`, { shape: variable.shape, data: moments.v });
    }
    const best = state.best.weights.get(name);
    if (best !== undefined) tensors.set(`best:${name}`, { shape: variable.shape, data: best });
  }
  writeSafetensors(`${file}.part`, tensors, {
    format: FORMAT,
    step: String(state.step),
    optimizer_step: String(state.optimizer.step),
    best_step: String(state.best.step),
    best_accuracy: String(state.best.accuracy),
  });
  renameSync(`${file}.part`, file);
}

/** Restores the trainable parameters from a checkpoint into `model` and returns the trainer state to resume with. */
export function loadTrainingCheckpoint(file: string, model: VisionTransformer): TrainerState {
  const header = readSafetensorsHeader(file);
  if (header.metadata['format'] !== FORMAT) throw new CheckpointError(`${file}: not a paretune training checkpoint`);
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  const bestWeights = new Map<string, Float32Array>();
  for (const { name, variable } of model.trainableParameters()) {
    if (!header.tensors.has(`param:${name}`))
      throw new CheckpointError(`${file}: no tensor for trainable parameter '${name}'; was it saved by this run?`);
    tf.tidy(() => variable.assign(tf.tensor(readTensor(header, `param:${name}`), variable.shape)));
    if (header.tensors.has(`adam_m:${name}`))
      moments.set(name, { m: readTensor(header, `adam_m:${name}`), v: readTensor(header, `adam_v:${name}`) });
    if (header.tensors.has(`best:${name}`)) bestWeights.set(name, readTensor(header, `best:${name}`));
  }
  const number = (key: string): number => Number(header.metadata[key]);
  return {
    step: number('step'),
    optimizer: { step: number('optimizer_step'), moments },
    best: { step: number('best_step'), accuracy: number('best_accuracy'), weights: bestWeights },
  };
}
