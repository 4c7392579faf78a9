import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, readSafetensorsHeader, readTensor, writeSafetensors } from './safetensors.js';
import type { VisionTransformer } from './vit.js';

const FORMAT = 'paretune-adaptation';

/** A strategy as recorded in an adaptation file. */
export interface RecordedStrategy {
  readonly name: string;
  readonly version?: string;
  readonly config?: unknown;
}

/**
 * Saves what fine-tuning changed: every trainable base parameter (PyTorch layout, Hugging Face names) and
 * every added parameter. With the base checkpoint, this small file reproduces the fine-tuned model.
 * @param strategies - recorded in the metadata, e.g. `[{"name":"lora","version":"0.1.0","config":{...}}]`.
 */
export async function saveAdaptation(
  model: VisionTransformer,
  file: string,
  strategies: readonly RecordedStrategy[],
): Promise<void> {
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const name of model.trainableBaseNames()) {
    const info = model.parameters.find((p) => p.name === name);
    if (info !== undefined) tensors.set(name, { shape: info.shape, data: await model.read(name) });
  }
  for (const [name, v] of model.addedVariables())
    tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  mkdirSync(dirname(file), { recursive: true });
  writeSafetensors(file, tensors, {
    format: FORMAT,
    strategies: JSON.stringify(strategies),
    architecture: JSON.stringify(model.architecture),
  });
}

/**
 * Loads a file written by {@link saveAdaptation} into a model adapted with the same strategies.
 * Every trainable and added parameter must be in the file with the same shape.
 */
export function loadAdaptation(model: VisionTransformer, file: string): void {
  const header = readSafetensorsHeader(file);
  if (header.metadata['format'] !== FORMAT) {
    throw new CheckpointError(
      `${file}: not a paretune adaptation file (metadata format is ${JSON.stringify(header.metadata['format'])}, expected '${FORMAT}')`,
    );
  }
  const expected = new Map<string, readonly number[]>();
  for (const name of model.trainableBaseNames())
    expected.set(name, model.parameters.find((p) => p.name === name)?.shape ?? []);
  const added = model.addedVariables();
  for (const [name, v] of added) expected.set(name, v.shape);
  for (const [name, shape] of expected) {
    const entry = header.tensors.get(name);
    if (entry === undefined)
      throw new CheckpointError(
        `${file}: missing tensor '${name}' (shape [${shape.join(', ')}]); was it saved with the same strategies?`,
      );
    if (entry.shape.join() !== shape.join()) {
      throw new CheckpointError(
        `${file}: tensor '${name}' has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
  }
  for (const name of expected.keys()) {
    const data = readTensor(header, name);
    const variable = added.get(name);
    if (variable === undefined) model.write(name, data);
    else {
      const value = tf.tensor(data, variable.shape);
      variable.assign(value);
      value.dispose();
    }
  }
}

/** The strategies an adaptation file was saved with, to adapt a model the same way before loading it. */
export function adaptationStrategies(file: string): RecordedStrategy[] {
  const header = readSafetensorsHeader(file, 'an adaptation file saved by paretune run --save-adaptation');
  if (header.metadata['format'] !== FORMAT) {
    throw new CheckpointError(
      `${file}: not a paretune adaptation file (metadata format is ${JSON.stringify(header.metadata['format'])}, expected '${FORMAT}')`,
    );
  }
  try {
    return JSON.parse(header.metadata['strategies'] ?? '[]') as RecordedStrategy[];
  } catch {
    throw new CheckpointError(`${file}: the strategies in its metadata are not valid JSON`);
  }
}
