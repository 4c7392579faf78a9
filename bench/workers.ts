/**
 * `npm run bench:workers`: the same 4-run experiment (Fashion-MNIST 5-9, vit-demo-28, two strategies x two
 * seeds) with 1 and with 2 local worker threads, each from an empty database; prints wall times and the speed-up.
 * Needs the Fashion-MNIST files (Debian's dataset-fashion-mnist, or a first download).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const seconds: Record<number, number> = {};
for (const workers of [1, 2]) {
  const data = join(dir, `data-${workers}`);
  const started = performance.now();
  const result = spawnSync(process.execPath, [main, 'experiment', study, '--workers', String(workers), '--quiet'], {
    env: { ...process.env, PARETUNE_DATA_DIR: data, PARETUNE_DB: join(data, 'bench.db') },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`experiment with ${workers} workers failed: ${result.stderr}`);
  seconds[workers] = (performance.now() - started) / 1000;
  console.log(`${workers} worker${workers === 1 ? ' ' : 's'}: ${seconds[workers]?.toFixed(1)} s for 4 runs`);
}
console.log(
  `speed-up with 2 workers: ${((seconds[1] as number) / (seconds[2] as number)).toFixed(2)}x on ${availableParallelism()} cores`,
);
rmSync(dir, { recursive: true, force: true });
