import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { linearName } from '../contracts/model.js';
import type { Rng } from '../tensor/rng.js';
import { parseObject, readUserFile } from '../user-files.js';
import { baseParameters, isHead, sizeOf } from './architecture.js';
import type { ViTConfig } from './architecture.js';
import { CheckpointError, readSafetensorsHeader, readTensor, writeSafetensors } from './safetensors.js';
import type { SafetensorsHeader } from './safetensors.js';
import { VisionTransformer } from './vit.js';

/** The naming schemes paretune reads. */
export type CheckpointLayout = 'hf-classification' | 'hf-backbone' | 'timm';

/** Where one canonical parameter comes from in the file: a tensor, or a third of a timm qkv tensor. */
interface Source {
  readonly tensor: string;
  readonly third?: 0 | 1 | 2;
}

/** What a checkpoint holds, read from its header (and config.json) without reading any weights. */
export interface CheckpointInfo {
  readonly file: string;
  readonly layout: CheckpointLayout;
  /** Architecture with the checkpoint's own head size (0 when it has no head). */
  readonly config: ViTConfig;
  readonly hasHead: boolean;
  /** How the number of heads was found (config.json, or the head-dim-64 convention). */
  readonly notes: readonly string[];
  readonly header: SafetensorsHeader;
}

const TIMM_BLOCK: ReadonlyArray<[string, string]> = [
  ['norm1', 'layernorm_before'],
  ['attn.proj', 'attention.output.dense'],
  ['norm2', 'layernorm_after'],
  ['mlp.fc1', 'intermediate.dense'],
  ['mlp.fc2', 'output.dense'],
];

/** The file tensor (or qkv third) holding each canonical (Hugging Face, unprefixed) parameter name. */
function sourceOf(layout: CheckpointLayout, name: string): Source {
  if (layout === 'hf-classification') return { tensor: isHead(name) ? name : `vit.${name}` };
  if (layout === 'hf-backbone') return { tensor: name };
  const fixed: Record<string, string> = {
    'embeddings.cls_token': 'cls_token',
    'embeddings.position_embeddings': 'pos_embed',
    'embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
    'embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
    'layernorm.weight': 'norm.weight',
    'layernorm.bias': 'norm.bias',
    'classifier.weight': 'head.weight',
    'classifier.bias': 'head.bias',
  };
  if (fixed[name] !== undefined) return { tensor: fixed[name] };
  const match = /^encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (match === null) throw new CheckpointError(`no timm name for '${name}'`);
  const [, layer, rest, kind] = match;
  const qkv = /^attention\.attention\.(query|key|value)$/.exec(rest as string);
  if (qkv !== null)
    return {
      tensor: `blocks.${layer}.attn.qkv.${kind}`,
      third: (['query', 'key', 'value'] as const).indexOf(qkv[1] as 'query') as 0 | 1 | 2,
    };
  const pair = TIMM_BLOCK.find(([, hf]) => hf === rest);
  if (pair === undefined) throw new CheckpointError(`no timm name for '${name}'`);
  return { tensor: `blocks.${layer}.${pair[0]}.${kind}` };
}

function detectLayout(header: SafetensorsHeader): CheckpointLayout {
  const names = [...header.tensors.keys()];
  if (names.includes('vit.embeddings.cls_token')) return 'hf-classification';
  if (names.includes('embeddings.cls_token')) return 'hf-backbone';
  if (names.includes('cls_token') && names.some((n) => n.startsWith('blocks.'))) return 'timm';
  throw new CheckpointError(
    `${header.file}: not a ViT checkpoint paretune knows: expected Hugging Face names ('vit.embeddings.cls_token' or ` +
      `'embeddings.cls_token') or timm names ('cls_token', 'blocks.N.*')`,
  );
}

function shapeOf(header: SafetensorsHeader, tensor: string): readonly number[] {
  const entry = header.tensors.get(tensor);
  if (entry === undefined) throw new CheckpointError(`${header.file}: missing tensor '${tensor}'`);
  return entry.shape;
}

/** Reads `config.json` beside the checkpoint, when there is one. */
function readConfigJson(file: string): Record<string, unknown> | undefined {
  const path = join(dirname(file), 'config.json');
  if (!existsSync(path)) return undefined;
  return parseObject(readUserFile(path, path, 'the JSON model config of the checkpoint beside it'), path);
}

/**
 * Reads a checkpoint's layout and architecture from the tensor shapes and a `config.json` beside it.
 * `overrides` win over both (e.g. the number of heads, which shapes do not reveal).
 */
export function inspectCheckpoint(path: string, overrides: Partial<ViTConfig> = {}): CheckpointInfo {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.safetensors') : path;
  if (!existsSync(file)) throw new CheckpointError(`checkpoint not found: ${file}`);
  const header = readSafetensorsHeader(file);
  const layout = detectLayout(header);
  const shape = (name: string): readonly number[] => shapeOf(header, sourceOf(layout, name).tensor);
  const json = readConfigJson(file) ?? {};
  const notes: string[] = [];

  const hiddenSize = shape('embeddings.cls_token').at(-1) as number;
  const [, numChannels, patchSize] = shape('embeddings.patch_embeddings.projection.weight') as number[];
  const tokens = (shape('embeddings.position_embeddings')[1] as number) - 1;
  const side = Math.round(Math.sqrt(tokens));
  if (side * side !== tokens)
    throw new CheckpointError(`${file}: position embeddings hold ${tokens} patches, not a square grid`);
  const layerIndex = layout === 'timm' ? /^blocks\.(\d+)\./ : /^(?:vit\.)?encoder\.layer\.(\d+)\./;
  const numLayers = new Set(
    [...header.tensors.keys()].map((n) => layerIndex.exec(n)?.[1]).filter((x) => x !== undefined),
  ).size;
  const intermediateSize = shape(`${linearName('intermediate', 0)}.weight`)[0] as number;
  const hasHead = header.tensors.has(sourceOf(layout, 'classifier.weight').tensor);

  let numHeads = typeof json['num_attention_heads'] === 'number' ? json['num_attention_heads'] : undefined;
  if (numHeads !== undefined) notes.push('heads from config.json');
  else if (overrides.numHeads === undefined) {
    if (hiddenSize % 64 !== 0) {
      throw new CheckpointError(
        `${file}: the number of attention heads cannot be read from tensor shapes and hidden size ${hiddenSize} is not a multiple of 64; ` +
          `put a config.json with num_attention_heads beside the checkpoint`,
      );
    }
    numHeads = hiddenSize / 64;
    notes.push(`heads inferred as hidden/64 = ${numHeads} (no config.json)`);
  }
  const pretrained = (json['pretrained_cfg'] ?? {}) as { mean?: number[]; std?: number[] };
  const eps = typeof json['layer_norm_eps'] === 'number' ? json['layer_norm_eps'] : layout === 'timm' ? 1e-6 : 1e-12;
  const config: ViTConfig = {
    imageSize: side * (patchSize as number),
    patchSize: patchSize as number,
    numChannels: numChannels as number,
    hiddenSize,
    numLayers,
    numHeads: numHeads ?? 0,
    intermediateSize,
    numClasses: hasHead ? (shape('classifier.weight')[0] as number) : 0,
    layerNormEps: eps,
    mean: pretrained.mean ?? (json['image_mean'] as number[] | undefined) ?? [0.5, 0.5, 0.5],
    std: pretrained.std ?? (json['image_std'] as number[] | undefined) ?? [0.5, 0.5, 0.5],
    ...overrides,
  };
  for (const key of ['image_size', 'patch_size', 'hidden_size', 'num_hidden_layers'] as const) {
    const mine = {
      image_size: config.imageSize,
      patch_size: config.patchSize,
      hidden_size: hiddenSize,
      num_hidden_layers: numLayers,
    }[key];
    if (typeof json[key] === 'number' && json[key] !== mine) {
      throw new CheckpointError(
        `${file}: config.json says ${key} = ${String(json[key])}, but the tensors give ${mine}`,
      );
    }
  }
  return { file, layout, config, hasHead, notes, header };
}

/** One canonical parameter's values from the file, checked against its expected PyTorch shape. */
function readParameter(info: CheckpointInfo, name: string, expected: readonly number[]): Float32Array {
  const source = sourceOf(info.layout, name);
  const entry = info.header.tensors.get(source.tensor);
  if (entry === undefined) {
    throw new CheckpointError(
      `${info.file}: missing tensor '${source.tensor}' (parameter '${name}', shape [${expected.join(', ')}])`,
    );
  }
  const want = source.third === undefined ? expected : [3 * (expected[0] as number), ...expected.slice(1)];
  if (entry.shape.length !== want.length || entry.shape.some((d, i) => d !== want[i])) {
    throw new CheckpointError(
      `${info.file}: tensor '${source.tensor}' has shape [${entry.shape.join(', ')}], expected [${want.join(', ')}]`,
    );
  }
  const data = readTensor(info.header, source.tensor);
  if (source.third === undefined) return data;
  const part = sizeOf(expected);
  return data.slice(source.third * part, (source.third + 1) * part);
}

export interface LoadOptions {
  /** Classes of the model to build; a checkpoint head of another size (or none) gets a fresh head. */
  readonly numClasses?: number | undefined;
  /** Initialises a fresh head. */
  readonly rng: Rng;
  readonly overrides?: Partial<ViTConfig> | undefined;
}

/** Loads a ViT from a safetensors checkpoint in any supported layout. */
export function loadCheckpoint(
  path: string,
  options: LoadOptions,
): { model: VisionTransformer; info: CheckpointInfo; freshHead: boolean } {
  const info = inspectCheckpoint(path, options.overrides);
  const numClasses = options.numClasses ?? info.config.numClasses;
  if (numClasses < 1) throw new CheckpointError(`${info.file} has no classification head: give the number of classes`);
  const config: ViTConfig = { ...info.config, numClasses };
  const freshHead = !info.hasHead || info.config.numClasses !== numClasses;
  const values = new Map<string, Float32Array>();
  for (const p of baseParameters(config)) {
    if (isHead(p.name) && freshHead) continue;
    values.set(p.name, readParameter(info, p.name, p.shape));
  }
  if (freshHead) for (const [name, v] of VisionTransformer.headValues(config, options.rng)) values.set(name, v);
  return { model: new VisionTransformer(config, values), info, freshHead };
}

/**
 * Writes a model's base weights as a Hugging Face checkpoint with a `config.json` into `dir`: with its head, a
 * `ViTForImageClassification` layout (`vit.` prefix, `classifier.*`); with `head: false`, a backbone-only `ViTModel`
 * layout like the in21k checkpoints, so that a model loaded from it gets a fresh head whatever its class count.
 * Strategy parameters are not included (see saveAdaptation).
 */
export async function saveCheckpoint(
  model: VisionTransformer,
  dir: string,
  { head = true }: { head?: boolean } = {},
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const kept = model.parameters.filter((p) => head || !isHead(p.name));
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const p of kept)
    tensors.set(isHead(p.name) || !head ? p.name : `vit.${p.name}`, { shape: p.shape, data: await model.read(p.name) });
  const file = join(dir, 'model.safetensors');
  writeSafetensors(file, tensors, { format: 'pt' });
  const a = model.architecture;
  const config = {
    architectures: [head ? 'ViTForImageClassification' : 'ViTModel'],
    model_type: 'vit',
    image_size: a.imageSize,
    patch_size: a.patchSize,
    num_channels: a.numChannels,
    hidden_size: a.hiddenSize,
    num_hidden_layers: a.numLayers,
    num_attention_heads: a.numHeads,
    intermediate_size: a.intermediateSize,
    layer_norm_eps: a.layerNormEps,
    hidden_act: 'gelu',
    ...(head ? { num_labels: a.numClasses } : {}),
    image_mean: a.mean,
    image_std: a.std,
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
