import * as tf from '@tensorflow/tfjs-core';

/**
 * A variable holding `values` (or filled with a constant) of `shape`. Created under `tf.tidy` so the
 * temporary tensor it is built from does not outlive it: `tf.variable(tf.tensor(...))` keeps that
 * temporary alive for as long as the variable.
 */
export function newVariable(values: Float32Array | number, shape: readonly number[], trainable = true): tf.Variable {
  return tf.tidy(() =>
    tf.variable(typeof values === 'number' ? tf.fill([...shape], values) : tf.tensor(values, [...shape]), trainable),
  );
}
