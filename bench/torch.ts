/**
 * `npm run bench:torch [backend]`: `npm run bench`'s model rows (forward, full fine-tuning step, PGD step) measured
 * with paretune and with PyTorch in the same run, side by side with the ratio paretune / PyTorch. Each row is
 * measured in ROUNDS rounds, paretune then PyTorch on every core and on one thread, and the table gives medians over
 * the rounds. Without PyTorch under `PARETUNE_TORCH_PYTHON` (default /usr/bin/python3, Debian's python3-torch), it
 * prints why in one line and exits 0.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendRequest, selectBackend } from '../src/core/tensor/backend.js';
import { CPU_CASES, measureModel } from './model.js';
import { comparisonTable, probeTorch, runTorchBench, torchPython } from './torch-compare.js';
import type { RowMeasurement } from './torch-compare.js';

const ROUNDS = 3;
const SCRIPT = resolve(fileURLToPath(import.meta.url), '../../../bench/torch/vit_bench.py');
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

const python = torchPython();
const probe = probeTorch(python);
if ('missing' in probe) {
  console.log(`bench:torch skipped: ${probe.missing}; install Debian's python3-torch or set PARETUNE_TORCH_PYTHON`);
} else {
  const backend = await selectBackend(backendRequest(process.argv[2]));
  const loadBefore = load();
  const threadCounts = [...new Set([availableParallelism(), 1])];
  const measurements: RowMeasurement[] = [];
  try {
    for (const modelCase of CPU_CASES) {
      const paretune = [];
      const torch = [];
      for (let round = 0; round < ROUNDS; round++) {
        paretune.push(await measureModel(modelCase));
        torch.push(threadCounts.map((threads) => runTorchBench(python, SCRIPT, threads, [modelCase])));
      }
      measurements.push({ modelCase, paretune, torch });
    }
  } catch (error) {
    console.error(`bench:torch: ${(error as Error).message}`);
    process.exit(1);
  }
  const blas = measurements[0]?.torch[0]?.[0]?.blas;
  console.log(
    `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}); node ${process.version}; ` +
      `paretune ${backend.name} (${backend.attempts.at(-1)?.detail}); PyTorch ${probe.version} (${python}, ` +
      `BLAS ${blas ?? 'not loaded'}); ${new Date().toISOString().slice(0, 10)}; ` +
      `load average ${loadBefore} before, ${load()} after\n`,
  );
  console.log(
    `images/s, medians of ${ROUNDS} rounds; ratio = paretune / PyTorch within a round: median (lowest-highest)\n`,
  );
  console.log(comparisonTable(`paretune ${backend.name}`, measurements));
}
