import * as tf from '@tensorflow/tfjs-core';
import { sumRows } from './sum-rows.js';
import { GELU_KERNEL, LAYER_NORM_KERNEL, SOFTMAX_KERNEL } from './wasm-kernels/index.js';

/**
 * Fast-path layers for the wasm backend, where a stock tfjs-wasm matMul reaches XNNPACK only when it is 2-D and
 * has no transpose flags (docs/benchmarks.md). The stock matMul gradient uses transpose flags; these layers
 * materialise the transposes instead, so forward and backward both run on a fast kernel even where paretune's
 * own wasm kernels (wasm-kernels/, fast with flags too) could not load.
 */

/** `x W + b` for `x` `[n, in]`, `W` `[in, out]`, `b` `[out]`, with fast-path gradients for x, W and b. */
type Inputs = Array<tf.Tensor | tf.GradSaveFunc>;

/** Inputs of one `tf.addN` in {@link sumTensors}: WebGPU's default storage-buffer limit (8) less the output. */
const MAX_ADDN_INPUTS = 7;

const denseTrainable = tf.customGrad((...args: Inputs) => {
  const [x, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return tf.tidy(() => [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), sumRows(dy)]);
    },
  };
});

const matMulFast = tf.customGrad((...args: Inputs) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor2D, tf.Tensor2D];
      return tf.tidy(() => [tf.matMul(dy, tf.transpose(bs)), tf.matMul(tf.transpose(as), dy)]);
    },
  };
});

/** A 2-D `a b` whose gradients also run on the fast path (for layers added by strategies). */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulFast(a, b) as tf.Tensor2D;
}

/**
 * A dense layer `x W + b` (`x` `[n, in]`, `W` `[in, out]`, `b` `[out]`). Gradients flow to `x` always and
 * to W and b only where they train (`trainW`, `trainB`): a frozen weight costs no weight-gradient matMul,
 * which is most of the backward pass for parameter-efficient strategies and attacks.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, trainW: boolean, trainB: boolean): tf.Tensor2D {
  if (trainW) return denseTrainable(x, w, b) as tf.Tensor2D;
  if (trainB) return denseBiasOnly(x, b, w) as tf.Tensor2D;
  const frozen = tf.customGrad((...args: Inputs) => ({
    value: tf.add(tf.matMul(args[0] as tf.Tensor, w), b),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.matMul(dy, tf.transpose(w))),
  }));
  return frozen(x) as tf.Tensor2D;
}

/** As {@link denseTrainable} with W a constant: gradients for x and b only. */
function denseBiasOnly(x: tf.Tensor2D, b: tf.Tensor1D, w: tf.Tensor2D): tf.Tensor {
  const f = tf.customGrad((...args: Inputs) => ({
    value: tf.add(tf.matMul(args[0] as tf.Tensor, w), args[1] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => [tf.matMul(dy, tf.transpose(w)), sumRows(dy)]),
  }));
  return f(x, b);
}

/**
 * Exact GELU, `x/2 (1 + erf(x/sqrt 2))`: paretune's one-pass kernel where the backend has it (wasm), else composed
 * of tfjs kernels (the erf form is faster than the tanh form on wasm).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && tf.getKernel(GELU_KERNEL, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
  }
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * LayerNorm over the last axis of `x` `[n, d]` with weight and bias `[d]`: paretune's one-pass kernel where the
 * backend has it (wasm), else composed of tfjs kernels.
 */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  const d = x.shape[1];
  const native =
    [x, weight, bias].every((t) => t.dtype === 'float32') &&
    [weight, bias].every((t) => t.rank === 1 && t.shape[0] === d) &&
    tf.getKernel(LAYER_NORM_KERNEL, tf.getBackend()) !== undefined;
  if (native) return tf.engine().runKernel(LAYER_NORM_KERNEL, { x, weight, bias }, { eps }) as tf.Tensor2D;
  const { mean, variance } = tf.moments(x, -1, true);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normalised, weight), bias) as tf.Tensor2D;
}

/** Softmax over the last axis, with paretune's one-pass gradient where the backend has it (wasm). */
export function softmax<T extends tf.Tensor>(logits: T): T {
  if (logits.dtype === 'float32' && tf.getKernel(SOFTMAX_KERNEL, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(SOFTMAX_KERNEL, { logits }) as T;
  }
  return tf.softmax(logits);
}

/**
 * The sum of same-shaped tensors, added at most 7 at a time. One `tf.addN` binds every input as a storage buffer, and
 * WebGPU's default limit is 8 per shader (7 inputs and the output); past it the GPU rejects the kernel and the
 * result is stale, not an error.
 */
export function sumTensors(tensors: readonly tf.Tensor[]): tf.Tensor {
  if (tensors.length === 0) throw new RangeError('sumTensors needs at least one tensor');
  return tf.tidy(() => {
    let level = [...tensors];
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += MAX_ADDN_INPUTS) next.push(tf.addN(level.slice(i, i + MAX_ADDN_INPUTS)));
      level = next;
    }
    return tf.clone(level[0] as tf.Tensor);
  });
}
