/**
 * `npm run bench:workers`: the same 4-run experiment (Fashion-MNIST 5-9, vit-demo-28, two strategies x two
 * seeds) with 1 and with 2 local worker threads, each from an empty database; prints wall times, the process's peak
 * resident memory (Linux: VmHWM, sampled every half second) and the speed-up.
 * Needs the Fashion-MNIST files (Debian's dataset-fashion-mnist, or a first download).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = resolve(fileURLToPath(import.meta.url), '../../src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'paretune-workers-'));
const study = join(dir, 'study.json');
writeFileSync(
  study,
  JSON.stringify({
    name: 'workers-bench',
    base: {
      model: 'vit-demo-28',
      attacks: [{ name: 'pgd', config: { eps: 8 / 255, steps: 3, stepRatio: 0.5 } }],
      training: { steps: 80, batchSize: 64, warmupSteps: 8, subset: { perClass: 300 } },
      evaluation: { schedule: [0, 40, 80], testSample: 200, validationSample: 300, trainSample: 200 },
    },
    strategies: ['lora', 'bitfit'],
    datasets: [{ name: 'fashion-mnist', config: { classes: [5, 6, 7, 8, 9] } }],
    seeds: [0, 1],
  }),
);

/** Peak resident memory of a process in MiB (VmHWM), or null where /proc does not say. */
function peakMiB(pid: number): number | null {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) / 1024;
  } catch {
    return null; // not Linux, or the process has just exited
  }
}

/** Runs the experiment on `workers` threads: wall seconds and the last peak-memory sample. */
async function experiment(workers: number): Promise<{ seconds: number; peak: number | null }> {
  const data = join(dir, `data-${workers}`);
  const started = performance.now();
  const child = spawn(process.execPath, [main, 'experiment', study, '--workers', String(workers), '--quiet'], {
    env: { ...process.env, PARETUNE_DATA_DIR: data, PARETUNE_DB: join(data, 'bench.db') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let peak: number | null = null;
  const sampler = setInterval(() => (peak = peakMiB(child.pid as number) ?? peak), 500);
  const code = await new Promise<number | null>((settle) => child.on('exit', settle));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`experiment with ${workers} workers failed: ${stderr}`);
  return { seconds: (performance.now() - started) / 1000, peak };
}

const seconds: Record<number, number> = {};
for (const workers of [1, 2]) {
  const { seconds: wall, peak } = await experiment(workers);
  seconds[workers] = wall;
  const memory = peak === null ? 'peak memory not measured' : `peak resident memory ${peak.toFixed(0)} MiB`;
  console.log(`${workers} worker${workers === 1 ? ' ' : 's'}: ${wall.toFixed(1)} s for 4 runs, ${memory}`);
}
console.log(
  `speed-up with 2 workers: ${((seconds[1] as number) / (seconds[2] as number)).toFixed(2)}x on ${availableParallelism()} cores`,
);
rmSync(dir, { recursive: true, force: true });
