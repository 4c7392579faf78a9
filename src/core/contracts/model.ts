import type * as tf from '@tensorflow/tfjs-core';

/**
 * Linear layers a strategy can hook, by their Hugging Face ViT names: `query`, `key`, `value`
 * (attention.attention.*), `attn_out` (attention.output.dense), `intermediate` (hidden -> 4*hidden),
 * `ffn_out` (output.dense, 4*hidden -> hidden) and the classification `head`.
 */
export type LinearSite = 'query' | 'key' | 'value' | 'attn_out' | 'intermediate' | 'ffn_out' | 'head';

/** The sites of every transformer block, in forward order (the head is not in a block). */
export const BLOCK_LINEAR_SITES = ['query', 'key', 'value', 'attn_out', 'intermediate', 'ffn_out'] as const;

/** The Hugging Face name prefix of transformer block `layer`, e.g. `encoder.layer.3`. */
export const blockPrefix = (layer: number): string => `encoder.layer.${layer}`;

/**
 * The Hugging Face name of a linear site's module; its parameters are `<name>.weight` and `<name>.bias`,
 * and strategies name what they add below it (e.g. `encoder.layer.3.attention.attention.query.lora_A`).
 */
export function linearName(site: LinearSite, layer?: number): string {
  if (site === 'head') return 'classifier';
  if (layer === undefined) throw new RangeError(`linear site '${site}' needs a layer index`);
  const block = blockPrefix(layer);
  switch (site) {
    case 'query':
    case 'key':
    case 'value':
      return `${block}.attention.attention.${site}`;
    case 'attn_out':
      return `${block}.attention.output.dense`;
    case 'intermediate':
      return `${block}.intermediate.dense`;
    case 'ffn_out':
      return `${block}.output.dense`;
  }
}

/** Input and output widths of a linear site. */
export function linearShape(architecture: ModelArchitecture, site: LinearSite): { inputs: number; outputs: number } {
  const { hiddenSize: d, intermediateSize: m, numClasses } = architecture;
  if (site === 'intermediate') return { inputs: d, outputs: m };
  if (site === 'ffn_out') return { inputs: m, outputs: d };
  if (site === 'head') return { inputs: d, outputs: numClasses };
  return { inputs: d, outputs: d };
}

/** Sublayer outputs before their residual add (where bottleneck adapters sit). */
export type ResidualSite = 'attn_out' | 'ffn_out';

/** Shape of a Vision Transformer, in Hugging Face `ViTConfig` terms. */
export interface ModelArchitecture {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly numChannels: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly numClasses: number;
  readonly layerNormEps: number;
}

/** A named base parameter, e.g. `encoder.layer.3.attention.attention.query.bias`. */
export interface ParameterInfo {
  readonly name: string;
  readonly shape: readonly number[];
}

/** What a strategy sees of the backbone when it adapts it. */
export interface AdaptableModel {
  readonly architecture: ModelArchitecture;
  /** Every base parameter (backbone and head) with its Hugging Face name. */
  readonly parameters: readonly ParameterInfo[];
}

/**
 * A differentiable classifier over [0,1] pixels (NHWC). Normalisation happens inside, so attacks and
 * shifts work in pixel space. Call inside `tf.tidy` or a gradient function.
 */
export interface Classifier {
  readonly numClasses: number;
  /** Logits `[batch, numClasses]` for pixels `[batch, height, width, channels]` in [0,1]. */
  logits(pixels: tf.Tensor4D): tf.Tensor2D;
}
