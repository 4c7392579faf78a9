import { performance } from 'node:perf_hooks';

/** Median seconds of `run` over `repeats` timed calls after `warmup` untimed calls. */
export async function medianSeconds(run: () => Promise<unknown>, warmup = 2, repeats = 7): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const start = performance.now();
    await run();
    if (i >= warmup) samples.push((performance.now() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}
