import type * as tf from '@tensorflow/tfjs';

/**
 * Linear layers a strategy can hook, by their Hugging Face ViT names: `query`, `key`, `value`
 * (attention.attention.*), `attn_out` (attention.output.dense), `intermediate` (hidden -> 4*hidden),
 * `ffn_out` (output.dense, 4*hidden -> hidden) and the classification `head`.
 */
export type LinearSite = 'query' | 'key' | 'value' | 'attn_out' | 'intermediate' | 'ffn_out' | 'head';

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
