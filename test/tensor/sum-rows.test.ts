import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { sumRows } from '../../src/core/tensor/sum-rows.js';

describe('sumRows (bias gradients)', () => {
  it('equals the float64 sum over rows within float32 rounding, for any number of rows and columns', async () => {
    const rng = Rng.fromSeed(3);
    for (const [n, d] of [
      [1, 1],
      [3, 5],
      [97, 7],
      [4160, 64],
      [1000, 130],
    ] as const) {
      const values = Float32Array.from(rng.normalArray(n * d));
      const x = tf.tensor2d(values, [n, d]);
      const sums = sumRows(x);
      expect(sums.shape).toEqual([d]);
      const got = await sums.data();
      for (let j = 0; j < d; j++) {
        let want = 0;
        let magnitude = 0;
        for (let i = 0; i < n; i++) {
          want += values[i * d + j] as number;
          magnitude += Math.abs(values[i * d + j] as number);
        }
        expect(Math.abs((got[j] as number) - want), `${n}x${d} column ${j}`).toBeLessThanOrEqual(1e-6 * magnitude);
      }
      tf.dispose([x, sums]);
    }
  });

  it('leaks no tensors', async () => {
    const x = tf.ones([50, 3]);
    await assertNoTensorLeaks(2, async () => {
      const sums = sumRows(x);
      await sums.data();
      sums.dispose();
    });
    x.dispose();
  });
});
