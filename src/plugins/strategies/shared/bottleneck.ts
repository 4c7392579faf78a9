import { blockPrefix } from '../../../core/contracts/index.js';
import type { ResidualSite } from '../../../core/contracts/index.js';
import { dense, gelu, tf } from '../../../core/tensor/index.js';

/** The residual sites bottleneck adapters sit on (Houlsby placement: after attention and after the MLP). */
export const ADAPTER_SITES = ['attn_out', 'ffn_out'] as const satisfies readonly ResidualSite[];

/** Name prefix of the adapter of `kind` at a site, e.g. `encoder.layer.3.adapter.ffn_out`. */
export const adapterName = (kind: string, layer: number, site: ResidualSite): string =>
  `${blockPrefix(layer)}.${kind}.${site}`;

/** Weights of one bottleneck: down `[hidden, m]`, up `[m, hidden]` (computed inside the forward pass for PHM layers). */
export interface BottleneckWeights {
  readonly down: tf.Tensor2D;
  readonly downBias: tf.Tensor1D;
  readonly up: tf.Tensor2D;
  readonly upBias: tf.Tensor1D;
}

/** `h + W_up GELU(W_down h + b_down) + b_up`, applied to a sublayer output before its residual add. */
export function bottleneck(h: tf.Tensor2D, w: BottleneckWeights): tf.Tensor2D {
  const hidden = gelu(dense(h, w.down, w.downBias, true, true)) as tf.Tensor2D;
  return tf.add(h, dense(hidden, w.up, w.upBias, true, true));
}
