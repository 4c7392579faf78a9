import * as tf from '@tensorflow/tfjs';
import { sumTensors } from '../tensor/ops.js';
import { newVariable } from '../tensor/variables.js';

/** Hyper-parameters of AdamW (Loshchilov & Hutter, 2019), PyTorch's defaults. */
export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Global gradient-norm clipping threshold (the Hugging Face Trainer clips at 1.0); 0 disables it. */
  readonly maxGradNorm: number;
}

/** A trainable variable, its name, and whether weight decay applies (not to biases and LayerNorm weights). */
export interface OptimisedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly decay: boolean;
}

/** Optimiser state for checkpoints: the step count and both moments of every variable, by name. */
export interface AdamWState {
  readonly step: number;
  readonly moments: ReadonlyMap<string, { readonly m: Float32Array; readonly v: Float32Array }>;
}

/** Decoupled weight decay excludes biases and LayerNorm weights (the Hugging Face Trainer's rule). */
export const decays = (name: string): boolean => !name.endsWith('.bias') && !name.includes('layernorm');

/**
 * AdamW as PyTorch implements it: `p <- p (1 - lr wd)`, then the bias-corrected Adam update. Written here
 * because TensorFlow.js has no AdamW, and its Adam neither decouples weight decay nor exempts variables.
 */
export class AdamW {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly variables: readonly OptimisedVariable[],
    private readonly options: AdamWOptions,
  ) {
    for (const { name, variable } of variables) {
      this.m.set(name, newVariable(0, variable.shape, false));
      this.v.set(name, newVariable(0, variable.shape, false));
    }
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.step;
  }

  /**
   * Clips the gradients to the global norm, then updates every variable with learning rate `lr`.
   * @param grads - gradients by variable name (from `tf.variableGrads`); the caller disposes them.
   * @returns the gradient norm before clipping.
   */
  async apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): Promise<number> {
    this.step++;
    const { beta1, beta2, epsilon, weightDecay, maxGradNorm } = this.options;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    // Per-variable scopes: one scope over all variables would hold every temporary (squares, moment updates) of
    // every parameter at once, several copies of the model.
    const squares = this.variables.map(({ variable }) =>
      tf.tidy(() => tf.sum(tf.square(this.gradOf(grads, variable)))),
    );
    const normTensor = tf.tidy(() => tf.sqrt(sumTensors(squares)));
    const norm = (await normTensor.data())[0] as number;
    tf.dispose([normTensor, ...squares]);
    const scale = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
    for (const { name, variable, decay } of this.variables) {
      tf.tidy(() => {
        const g = tf.mul(this.gradOf(grads, variable), scale);
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        const decayed = decay && weightDecay > 0 ? tf.mul(variable, 1 - lr * weightDecay) : variable;
        variable.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
    return norm;
  }

  private gradOf(grads: Readonly<Record<string, tf.Tensor>>, variable: tf.Variable): tf.Tensor {
    const g = grads[variable.name];
    if (g === undefined) throw new Error(`no gradient for trainable variable '${variable.name}'`);
    return g;
  }

  /** A copy of the optimiser state. */
  async state(): Promise<AdamWState> {
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const { name } of this.variables) {
      moments.set(name, {
        m: (await (this.m.get(name) as tf.Variable).data()) as Float32Array,
        v: (await (this.v.get(name) as tf.Variable).data()) as Float32Array,
      });
    }
    return { step: this.step, moments };
  }

  /** Restores a state from {@link AdamW.state} (same variables). */
  restore(state: AdamWState): void {
    this.step = state.step;
    for (const { name, variable } of this.variables) {
      const saved = state.moments.get(name);
      if (saved === undefined) throw new Error(`optimiser state has no moments for '${name}'`);
      tf.tidy(() => {
        (this.m.get(name) as tf.Variable).assign(tf.tensor(saved.m, variable.shape));
        (this.v.get(name) as tf.Variable).assign(tf.tensor(saved.v, variable.shape));
      });
    }
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
}
