import { spawnSync } from 'node:child_process';
import { benchConfig, MODEL_WARMUP } from './model.js';
import type { ModelCase, ModelRates } from './model.js';

/** The interpreter whose PyTorch the comparison uses: `PARETUNE_TORCH_PYTHON`, else Debian's python3. */
export const torchPython = (env: NodeJS.ProcessEnv = process.env): string =>
  env['PARETUNE_TORCH_PYTHON'] || '/usr/bin/python3';

/** PyTorch's version under `python`, or why it cannot be used (one line). */
export function probeTorch(python: string): { version: string } | { missing: string } {
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error !== undefined) return { missing: `${python} cannot be run (${probe.error.message})` };
  if (probe.status !== 0) return { missing: `${python} has no usable torch (${lastLine(probe.stderr)})` };
  return { version: probe.stdout.trim() };
}

/** The PyTorch script's rows for one thread count, as it prints them. */
export interface TorchRun {
  readonly torch: string;
  /** The BLAS library the process loaded, or null when none was found. */
  readonly blas: string | null;
  readonly threads: number;
  readonly rows: readonly (ModelRates & { readonly preset: string; readonly batch: number })[];
}

/**
 * Runs bench/torch/vit_bench.py on `threads` intra-op threads over `cases`, with OpenBLAS on one thread: PyTorch
 * parallelises its operations itself, and OpenBLAS threads of their own on top oversubscribe the cores (2 cores,
 * vit-bench-32 at batch 64, 2 intra-op threads: train 154-157 and PGD 242-252 images/s with OpenBLAS on 1 thread,
 * 112-125 and 163-183 with OpenBLAS on 2).
 */
export function runTorchBench(python: string, script: string, threads: number, cases: readonly ModelCase[]): TorchRun {
  const request = {
    threads,
    warmup: MODEL_WARMUP,
    cases: cases.map((c) => ({ ...benchConfig(c.preset), ...c })),
  };
  const thread = String(threads);
  const result = spawnSync(python, [script, JSON.stringify(request)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: thread, OPENBLAS_NUM_THREADS: '1' },
  });
  if (result.status !== 0) throw new Error(`the PyTorch script failed: ${lastLine(result.stderr)}`);
  return JSON.parse(result.stdout) as TorchRun;
}

const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

/** paretune's measured rates for one model row. */
export interface ParetuneRow {
  readonly modelCase: ModelCase;
  readonly rates: ModelRates;
}

const OPERATIONS: readonly { key: keyof ModelRates; label: string }[] = [
  { key: 'forward', label: 'forward' },
  { key: 'train', label: 'train (full FT, Adam)' },
  { key: 'pgd', label: 'PGD step' },
];

/**
 * A Markdown table, images/s: per model row and operation, paretune's rate, then each PyTorch run's rate with
 * the ratio paretune / PyTorch.
 */
export function comparisonTable(
  paretuneLabel: string,
  rows: readonly ParetuneRow[],
  runs: readonly TorchRun[],
): string {
  const header = ['model', 'batch', 'operation', paretuneLabel];
  for (const run of runs)
    header.push(`PyTorch ${run.torch}, ${run.threads} thread${run.threads === 1 ? '' : 's'}`, 'ratio');
  const lines = [header, header.map(() => '---')];
  for (const { modelCase, rates } of rows) {
    const torchRates = runs.map((run) => torchRow(run, modelCase));
    for (const { key, label } of OPERATIONS) {
      const cells = [modelCase.preset, String(modelCase.batch), label, rates[key].toFixed(1)];
      for (const t of torchRates) cells.push(t[key].toFixed(1), `${(rates[key] / t[key]).toFixed(2)}x`);
      lines.push(cells);
    }
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function torchRow(run: TorchRun, { preset, batch }: ModelCase): ModelRates {
  const row = run.rows.find((r) => r.preset === preset && r.batch === batch);
  if (row === undefined)
    throw new Error(`the PyTorch run on ${run.threads} threads has no row for ${preset} at batch ${batch}`);
  return row;
}
