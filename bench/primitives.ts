import * as tf from '@tensorflow/tfjs';
import { medianSeconds } from './timing.js';

/** matMul throughput with and without transpose flags, and batched. */
export async function benchPrimitives(): Promise<void> {
  // A GPU needs larger products than a CPU core to be busy.
  const n = tf.getBackend() === 'webgpu' ? 2048 : 512;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const batched = tf.randomNormal([16, 64, 64], 0, 1, 'float32', 3);
  const cases: [string, number, () => tf.Tensor][] = [
    [`matMul ${n}x${n}x${n}`, 2 * n ** 3, () => tf.matMul(a, b)],
    [`matMul ${n}x${n}x${n}, transposeB`, 2 * n ** 3, () => tf.matMul(a, b, false, true)],
    [`matMul ${n}x${n}x${n}, explicit transpose`, 2 * n ** 3, () => tf.tidy(() => tf.matMul(a, tf.transpose(b)))],
    ['batched matMul 16x(64x64x64)', 16 * 2 * 64 ** 3, () => tf.matMul(batched, batched)],
  ];
  console.log(`${'primitive'.padEnd(42)} ${'ms'.padStart(8)} ${'GFLOP/s'.padStart(8)}`);
  for (const [name, flops, run] of cases) {
    const seconds = await medianSeconds(async () => {
      const out = run();
      await out.data();
      out.dispose();
    });
    console.log(
      `${name.padEnd(42)} ${(seconds * 1000).toFixed(2).padStart(8)} ${(flops / seconds / 1e9).toFixed(2).padStart(8)}`,
    );
  }
  tf.dispose([a, b, batched]);
}
