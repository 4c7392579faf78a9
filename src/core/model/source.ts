import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProgressListener } from '../contracts/dataset.js';
import type { Rng } from '../tensor/rng.js';
import { findPreset, PRESETS } from './architecture.js';
import type { ViTConfig } from './architecture.js';
import { inspectCheckpoint, loadCheckpoint } from './checkpoint.js';
import { downloadFromHub } from './hub.js';
import { fileDigest, modelId, modelSourceName } from './identity.js';
import { CheckpointError } from './safetensors.js';
import { VisionTransformer } from './vit.js';

export interface ModelSourceOptions {
  /** Classes of the head; a checkpoint head of another size (or none) is replaced by a fresh one. */
  readonly numClasses?: number | undefined;
  readonly cacheDir: string;
  readonly onProgress?: ProgressListener | undefined;
}

/** A loaded backbone, its stable id (see modelId) and a one-line account of where it came from, without server paths. */
export interface LoadedModel {
  readonly model: VisionTransformer;
  readonly id: string;
  readonly description: string;
}

function unknownSource(source: string): CheckpointError {
  return new CheckpointError(
    `model '${source}' is not a preset (${PRESETS.map((p) => p.name).join(', ')}), an existing checkpoint file or folder, ` +
      `or hf:<owner>/<repo>`,
  );
}

/** Local checkpoint path for a non-preset source, downloading `hf:` sources into the cache. */
async function checkpointPath(source: string, options: ModelSourceOptions): Promise<string> {
  if (source.startsWith('hf:')) return downloadFromHub(source, options);
  if (existsSync(source)) return source;
  throw unknownSource(source);
}

/**
 * The architecture of a model source without loading weights: presets are known, checkpoints are read from
 * their header (and config.json). `numClasses` sets the head size.
 */
export async function architectureOf(source: string, options: ModelSourceOptions): Promise<ViTConfig> {
  const preset = findPreset(source);
  const config =
    preset !== undefined
      ? { ...preset.config, numClasses: 0 }
      : inspectCheckpoint(await checkpointPath(source, options)).config;
  const numClasses = options.numClasses ?? config.numClasses;
  if (numClasses < 1)
    throw new CheckpointError(`model '${source}' has no classification head: give the number of classes`);
  return { ...config, numClasses };
}

/**
 * Loads a backbone: a preset (its pre-trained weights from the hub, or a random initialisation for presets
 * without weights), a local safetensors file or folder, or `hf:<owner>/<repo>`.
 */
export async function loadModel(source: string, rng: Rng, options: ModelSourceOptions): Promise<LoadedModel> {
  const preset = findPreset(source);
  if (preset !== undefined && preset.weights === undefined) {
    if (options.numClasses === undefined) throw new CheckpointError(`preset '${source}' needs the number of classes`);
    const model = VisionTransformer.random({ ...preset.config, numClasses: options.numClasses }, rng);
    return { model, id: preset.name, description: `${preset.name}: ${preset.description}` };
  }
  const path = await checkpointPath(preset?.weights ?? source, options);
  const { model, info, freshHead } = loadCheckpoint(path, {
    numClasses: options.numClasses,
    rng,
    overrides: preset?.config,
  });
  const head = freshHead ? `new ${model.numClasses}-class head` : 'its own head';
  const id = preset?.name ?? modelId(source) ?? `sha256:${fileDigest(info.file)}`;
  return {
    model,
    id,
    description: `${modelSourceName(preset?.name ?? source)} (${info.layout} checkpoint ${basename(info.file)}, ${head})`,
  };
}
