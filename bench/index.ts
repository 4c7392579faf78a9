/**
 * `npm run bench`: throughput of the operations the model code is built from, on the selected backend.
 * Records why the fast-path rules of the runtime exist (2-D matMul without transpose flags is the only
 * fast matMul on wasm). Model, training and attack throughput join this table as those land.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { backendRequest, selectBackend } from '../src/core/tensor/backend.js';

interface Case {
  readonly name: string;
  readonly flops: number;
  readonly run: () => tf.Tensor;
}

/** Median seconds of `run` over `repeats` timed calls after `warmup` calls; values read outside tidy. */
function time(run: () => tf.Tensor, warmup = 2, repeats = 7): number {
  const samples: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const start = performance.now();
    const out = run();
    out.dataSync();
    out.dispose();
    if (i >= warmup) samples.push((performance.now() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

const backend = await selectBackend(backendRequest(process.argv[2]));
const n = 512;
const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
const batched = tf.randomNormal([16, 64, 64], 0, 1, 'float32', 3);
const cases: Case[] = [
  { name: `matMul ${n}x${n}x${n}`, flops: 2 * n ** 3, run: () => tf.matMul(a, b) },
  { name: `matMul ${n}x${n}x${n}, transposeB`, flops: 2 * n ** 3, run: () => tf.matMul(a, b, false, true) },
  { name: `matMul ${n}x${n}x${n}, explicit transpose`, flops: 2 * n ** 3, run: () => tf.tidy(() => tf.matMul(a, tf.transpose(b))) },
  { name: 'batched matMul 16x(64x64x64)', flops: 16 * 2 * 64 ** 3, run: () => tf.matMul(batched, batched) },
];

console.log(`backend: ${backend.name} (${backend.attempts.at(-1)?.detail}); ${new Date().toISOString().slice(0, 10)}`);
console.log(`${'case'.padEnd(42)} ${'ms'.padStart(8)} ${'GFLOP/s'.padStart(8)}`);
for (const c of cases) {
  const seconds = time(c.run);
  console.log(`${c.name.padEnd(42)} ${(seconds * 1000).toFixed(2).padStart(8)} ${(c.flops / seconds / 1e9).toFixed(2).padStart(8)}`);
}
tf.dispose([a, b, batched]);
