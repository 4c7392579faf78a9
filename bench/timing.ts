import { performance } from 'node:perf_hooks';

/** Median seconds of `run` over `repeats` timed calls after `warmup` untimed calls. */
export async function medianSeconds(run: () => Promise<unknown>, warmup = 2, repeats = 7): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const start = performance.now();
    await run();
    if (i >= warmup) samples.push((performance.now() - start) / 1000);
  }
  return median(samples);
}

/** The median of `values`, the upper middle of an even count (as bench/torch/vit_bench.py's median_high). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}
