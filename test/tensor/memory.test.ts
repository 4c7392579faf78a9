import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';

describe('assertNoTensorLeaks', () => {
  const w = tf.variable(tf.ones([4, 4]));
  const optimizer = tf.train.adam(0.01);
  const step = (): number => {
    const loss = optimizer.minimize(() => tf.tidy(() => tf.sum(tf.square(tf.matMul(w, w)))), true) as tf.Scalar;
    const value = loss.dataSync()[0] as number;
    loss.dispose();
    return value;
  };

  it('passes a training loop that disposes everything it makes', async () => {
    const { before, after } = await assertNoTensorLeaks(20, step);
    expect(after).toBe(before);
  });

  it('reports a step that leaks, with the count per step', async () => {
    const leaky = (): void => {
      tf.add(w, 1);
    };
    await expect(assertNoTensorLeaks(5, leaky)).rejects.toThrow('5 tensors leaked over 5 steps (1.00 per step');
  });
});
