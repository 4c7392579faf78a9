import * as tf from '@tensorflow/tfjs-core';

/**
 * The sum over the rows of `x` `[n, d]` (a bias gradient), as the product `ones[1, n] x`: tfjs-wasm's Sum over axis 0
 * transposes `x` and reduces it with a scalar loop, 2.2-3x slower than the product (docs/benchmarks.md).
 */
export function sumRows(x: tf.Tensor): tf.Tensor1D {
  const [n, d] = x.shape as [number, number];
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, n]), x as tf.Tensor2D), [d]));
}
