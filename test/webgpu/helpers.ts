import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** True when this file's process runs on webgpu (see setup.ts); the suite is skipped otherwise. */
export const onWebGpu = tf.getBackend() === 'webgpu';

/**
 * Largest absolute difference allowed against wasm. lavapipe's `exp` (and so erf, softmax, GELU) is less precise
 * than the CPU's: erf is off by up to 2.65e-4 there, so values through a few transcendental ops agree to ~1e-3.
 */
export const TOLERANCE = 1e-3;

/** Runs `compute` on wasm, then returns to webgpu: the reference for a result computed on the GPU. */
export async function onWasm<T>(compute: () => Promise<T>): Promise<T> {
  await tf.setBackend('wasm');
  try {
    return await compute();
  } finally {
    await tf.setBackend('webgpu');
  }
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(
      max,
      Number.isNaN(a[i]) || Number.isNaN(b[i]) ? Infinity : Math.abs((a[i] as number) - (b[i] as number)),
    );
  return max;
}

/** A tensor's values, then disposed. */
export async function values(t: tf.Tensor): Promise<Float32Array> {
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}
