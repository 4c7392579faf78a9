/**
 * `npm run bench:api`: a load test of the GraphQL API over real HTTP. Seeds a database with 100 finished runs of
 * 1,000 metric points each (500 logged steps x clean and robust accuracy), starts `paretune serve` on it as its own
 * process, fires 200 concurrent history queries (each a whole series down-sampled to 200 points) and reports errors,
 * throughput and latency percentiles.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeasuredPoint } from '../src/core/evaluation/evaluator.js';
import { Store } from '../src/core/store/store.js';

const RUNS = 100;
const STEPS = 500;
const CONCURRENT = 200;
const ROBUST = { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 };

const dir = mkdtempSync(join(tmpdir(), 'paretune-api-load-'));
const db = join(dir, 'load.db');
const store = Store.open(db);
const ids: string[] = [];
for (let r = 0; r < RUNS; r++) {
  const id = `load-${r}`;
  ids.push(id);
  const strategy = ['full', 'lora', 'bitfit', 'adapter'][r % 4] as string;
  store.createRun({ id, spec: { dataset: 'cifar10', strategies: [strategy], seed: r, tags: [] }, seed: r, strategy, dataset: 'cifar10', model: 'synthetic', backend: 'wasm', plugins: [], paretuneVersion: '0.1.0' });
  const points: MeasuredPoint[] = [];
  for (let s = 0; s < STEPS; s++) {
    const clean = 0.1 + 0.8 * (1 - Math.exp(-s / 80)) + 0.01 * Math.sin(s + r);
    points.push({ step: s * 10, epoch: 0, name: 'accuracy', context: { split: 'test' }, value: clean, count: 10_000, seconds: 1 });
    points.push({ step: s * 10, epoch: 0, name: 'accuracy', context: ROBUST, value: clean * Math.exp(-s / 200), count: 10_000, seconds: 30 });
  }
  store.recordPoints(id, points);
  store.finishRun(id, { bestStep: (STEPS - 1) * 10, lastStep: (STEPS - 1) * 10, seconds: 3600, result: {} });
}
store.close();

const main = resolve(fileURLToPath(import.meta.url), '../../src/cli/main.js');
const server = spawn(process.execPath, [main, 'serve', '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PARETUNE_DATA_DIR: dir } });
const url = await new Promise<string>((done, fail) => {
  let out = '';
  server.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /API at (\S+) /.exec(out);
    if (match !== null) done(match[1] as string);
  });
  server.on('exit', (code) => fail(new Error(`paretune serve exited with ${code}`)));
});

const query = 'query($id: ID!) { run(id: $id) { id history(samples: 200) { step value } robust: history(context: {split: "test", attack: "pgd", norm: "Linf", eps: 0.00392156862745098}, samples: 200) { step value } } }';
const latencies: number[] = [];
let errors = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENT }, async (_, i) => {
    const t0 = performance.now();
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { id: ids[i % RUNS] } }) });
      const body = (await response.json()) as { errors?: unknown; data?: { run?: { history: unknown[]; robust: unknown[] } } };
      if (body.errors !== undefined || body.data?.run?.history.length !== 200 || body.data.run.robust.length !== 200) errors += 1;
    } catch {
      errors += 1;
    }
    latencies.push(performance.now() - t0);
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number).toFixed(0);
console.log(`GraphQL load: ${RUNS} runs x ${2 * STEPS} points; ${CONCURRENT} concurrent history queries (2 series of 200 samples each)`);
console.log(`errors ${errors}; all done in ${seconds.toFixed(2)} s (${(CONCURRENT / seconds).toFixed(0)} queries/s); latency p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`);
server.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
if (errors > 0) process.exitCode = 1;
