import { spawnSync } from 'node:child_process';
import { benchConfig, MODEL_WARMUP } from './model.js';
import { median } from './timing.js';
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

/**
 * One model row measured in `rounds` interleaved rounds: per round paretune's rates, then each PyTorch run's (one per
 * thread count, in the same order in every round). A ratio is taken within a round, so that a shared machine's load,
 * which changes over minutes, weighs on both sides of it alike.
 */
export interface RowMeasurement {
  readonly modelCase: ModelCase;
  readonly paretune: readonly ModelRates[];
  readonly torch: readonly (readonly TorchRun[])[];
}

const OPERATIONS: readonly { key: keyof ModelRates; label: string }[] = [
  { key: 'forward', label: 'forward' },
  { key: 'train', label: 'train (full FT, Adam)' },
  { key: 'pgd', label: 'PGD step' },
];

/**
 * A Markdown table, images/s: per model row and operation, paretune's median rate over the rounds, then each
 * PyTorch run's with the median over rounds of the ratio paretune / PyTorch, and the rounds' range of that ratio
 * where there are several.
 */
export function comparisonTable(paretuneLabel: string, measurements: readonly RowMeasurement[]): string {
  const first = measurements[0]?.torch[0] ?? [];
  const header = ['model', 'batch', 'operation', paretuneLabel];
  for (const run of first)
    header.push(`PyTorch ${run.torch}, ${run.threads} thread${run.threads === 1 ? '' : 's'}`, 'ratio');
  const lines = [header, header.map(() => '---')];
  for (const { modelCase, paretune, torch } of measurements) {
    const torchRates = torch.map((round) => round.map((run) => torchRow(run, modelCase)));
    for (const { key, label } of OPERATIONS) {
      const ours = paretune.map((rates) => rates[key]);
      const cells = [modelCase.preset, String(modelCase.batch), label, median(ours).toFixed(1)];
      first.forEach((_, run) => {
        const theirs = torchRates.map((round) => (round[run] as ModelRates)[key]);
        const ratios = ours.map((rate, r) => rate / (theirs[r] as number));
        const range = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})` : '';
        cells.push(median(theirs).toFixed(1), `${median(ratios).toFixed(2)}x${range}`);
      });
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
