import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../tensor/rng.js';
import type { AdaptableModel, LinearSite, ResidualSite } from './model.js';
import type { PluginBase } from './plugin.js';

/**
 * Hooks a strategy installs at the model's named sites. Each receives the tensors the model computed and
 * returns what the model continues with; `layer` is the transformer block index (the head has none).
 * Hooks run inside the model's forward pass, under the caller's `tf.tidy`.
 */
export interface AdaptationHooks {
  /** After a linear layer: `output = x W^T + b` for `input = x`. LoRA, (IA)3. */
  linear?(site: LinearSite, layer: number | undefined, input: tf.Tensor, output: tf.Tensor): tf.Tensor;
  /** A sublayer output before its residual add. Adapters, Compacter. */
  residual?(site: ResidualSite, layer: number, output: tf.Tensor): tf.Tensor;
  /** The token sequence `[batch, tokens, hidden]` after embedding. Prompt tuning. */
  tokens?(tokens: tf.Tensor3D): tf.Tensor3D;
  /** Attention keys and values `[batch, tokens, hidden]` of a block. Prefix tuning. */
  keysValues?(layer: number, keys: tf.Tensor3D, values: tf.Tensor3D): { keys: tf.Tensor3D; values: tf.Tensor3D };
}

/**
 * What a strategy does to a backbone: which base parameters train, which parameters it adds and which
 * hooks it installs. Adaptations stack (e.g. BitFit + LoRA): a base parameter trains if any stacked
 * adaptation trains it, and hooks compose in stacking order.
 */
export interface Adaptation {
  /** Whether the base parameter with this Hugging Face name is trained. The head always trains. */
  trains(parameterName: string): boolean;
  /**
   * Parameters the strategy adds, by name (e.g. `encoder.layer.3.attention.attention.query.lora_A`).
   * Always trainable; saved and loaded on their own; disposed by paretune when the run ends.
   */
  readonly added: ReadonlyMap<string, tf.Variable>;
  readonly hooks: AdaptationHooks;
  /**
   * Declares that the adaptation deliberately trains only the head (linear probing). Without it, an adaptation that
   * adds no parameter and whose `trains` matches no base parameter outside the head is refused: it would silently
   * turn into a linear probe (e.g. a misspelt parameter name).
   */
  readonly headOnly?: boolean;
}

/** A fine-tuning strategy: full fine-tuning, linear probing, BitFit, LoRA, adapters, ... */
export interface StrategyPlugin<C = unknown> extends PluginBase<'strategy', C> {
  /** Adapts `model` with a validated `config`; `rng` initialises the added parameters. */
  adapt(model: AdaptableModel, config: C, rng: Rng): Adaptation;
}
