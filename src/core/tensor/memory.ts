import * as tf from '@tensorflow/tfjs-core';

export class TensorLeakError extends Error {
  override readonly name = 'TensorLeakError';
}

/**
 * Runs `step` for `warmup` + `steps` iterations and throws {@link TensorLeakError} if the number of live
 * tensors grew during the last `steps` iterations. Warm-up iterations may allocate long-lived state
 * (optimiser slots, caches) and are not counted. Use it in tests of every training or attack loop.
 *
 * @returns the live tensor counts before and after the measured steps.
 */
export async function assertNoTensorLeaks(
  steps: number,
  step: (index: number) => unknown,
  { warmup = 1 }: { warmup?: number } = {},
): Promise<{ before: number; after: number }> {
  for (let i = 0; i < warmup; i++) await step(i);
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) await step(warmup + i);
  const after = tf.memory().numTensors;
  if (after !== before) {
    const perStep = ((after - before) / steps).toFixed(2);
    throw new TensorLeakError(
      `${after - before} tensors leaked over ${steps} steps (${perStep} per step; ${before} live before, ${after} after)`,
    );
  }
  return { before, after };
}
