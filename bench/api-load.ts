/**
 * `npm run bench:api`: a load test of the GraphQL API over real HTTP. Seeds a database with 100 finished runs of
 * 1,000 metric points each (500 logged steps x clean and robust accuracy), starts `paretune serve` on it as its own
 * process, warms it up on 20 other runs, and fires 200 concurrent history queries (each a whole series down-sampled
 * to 200 points): with no run executing (POSTs, then GETs, then the same GETs with the ETags they answered), in the
 * first seconds of a run the server executes (loading its dataset and model), and while that run trains. Reports
 * errors, throughput, latency percentiles and the CPU time of the server's main thread (Linux), which unlike latency
 * does not depend on what else the machine runs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { MeasuredPoint } from '../src/core/evaluation/evaluator.js';
import { Store } from '../src/core/store/store.js';

const RUNS = 100;
/** Further runs, queried only to warm the server's JIT up before the measured rounds (their series stay cold). */
const WARM_UP_RUNS = 20;
const STEPS = 500;
const CONCURRENT = 200;
const ROBUST = { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 };
const TOKEN = 'bench-token';
const IMAGES_PER_CLASS = 200;

const dir = mkdtempSync(join(tmpdir(), 'paretune-api-load-'));
const db = join(dir, 'load.db');
const store = Store.open(db);
const ids: string[] = [];
for (let r = 0; r < RUNS + WARM_UP_RUNS; r++) {
  const id = `load-${r}`;
  if (r < RUNS) ids.push(id);
  const strategy = ['full', 'lora', 'bitfit', 'adapter'][r % 4] as string;
  store.createRun({
    id,
    spec: { dataset: 'cifar10', strategies: [strategy], seed: r, tags: [] },
    seed: r,
    strategy,
    dataset: 'cifar10',
    model: 'synthetic',
    backend: 'wasm',
    plugins: [],
    paretuneVersion: '0.1.0',
  });
  const points: MeasuredPoint[] = [];
  for (let s = 0; s < STEPS; s++) {
    const clean = 0.1 + 0.8 * (1 - Math.exp(-s / 80)) + 0.01 * Math.sin(s + r);
    points.push({
      step: s * 10,
      epoch: 0,
      name: 'accuracy',
      context: { split: 'test' },
      value: clean,
      count: 10_000,
      seconds: 1,
    });
    points.push({
      step: s * 10,
      epoch: 0,
      name: 'accuracy',
      context: ROBUST,
      value: clean * Math.exp(-s / 200),
      count: 10_000,
      seconds: 30,
    });
  }
  store.recordPoints(id, points);
  store.finishRun(id, { bestStep: (STEPS - 1) * 10, lastStep: (STEPS - 1) * 10, seconds: 3600, result: {} });
}
store.close();

// The run's dataset: an image folder of 3 colour-coded classes of 32 px PNGs.
const images = join(dir, 'images');
for (const [label, colour] of [
  [0, 'red'],
  [1, 'green'],
  [2, 'blue'],
] as const) {
  mkdirSync(join(images, colour), { recursive: true });
  for (let i = 0; i < IMAGES_PER_CLASS; i++) {
    const pixels = Buffer.alloc(32 * 32 * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = (p % 3 === label ? 150 : 60) + ((p * 7919 + i * 104_729) % 61);
    await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(join(images, colour, `${i}.png`));
  }
}

const main = resolve(fileURLToPath(import.meta.url), '../../src/cli/main.js');
const server = spawn(process.execPath, [main, 'serve', '--port', '0', '--db', db], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, PARETUNE_DATA_DIR: dir, PARETUNE_API_TOKEN: TOKEN },
});
const url = await new Promise<string>((done, fail) => {
  let out = '';
  server.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /API at (\S+) /.exec(out);
    if (match !== null) done(match[1] as string);
  });
  server.on('exit', (code) => fail(new Error(`paretune serve exited with ${code}`)));
});

const post = async <T>(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: T; errors?: unknown }> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: unknown };
};

const query =
  'query($id: ID!) { run(id: $id) { id history(samples: 200) { step value } robust: history(context: {split: "test", attack: "pgd", norm: "Linf", eps: 0.00392156862745098}, samples: 200) { step value } } }';
let failures = 0;

type Answer = { data?: { run?: { history: unknown[]; robust: unknown[] } }; errors?: unknown };
const complete = (body: Answer): boolean =>
  body.errors === undefined && body.data?.run?.history.length === 200 && body.data.run.robust.length === 200;
const askPost = async (i: number): Promise<boolean> => complete(await post(query, { id: ids[i % RUNS] }));
/** ETags the server answered to each GET, by query index. */
const tags = new Map<number, string>();
const askGet = async (i: number): Promise<boolean> => {
  const address = `${url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: ids[i % RUNS] }))}`;
  const tag = tags.get(i);
  const response = await fetch(address, {
    headers: { authorization: `Bearer ${TOKEN}`, ...(tag === undefined ? {} : { 'if-none-match': tag }) },
  });
  const etag = response.headers.get('etag');
  if (etag !== null) tags.set(i, etag);
  if (tag !== undefined) return response.status === 304;
  return response.ok && complete((await response.json()) as Answer);
};

/** CPU milliseconds the server's main thread has used so far (Linux), from /proc. */
const serverCpuMs = (): number | undefined => {
  try {
    const fields = readFileSync(`/proc/${server.pid}/task/${server.pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
    return ((Number(fields?.[11]) + Number(fields?.[12])) * 1000) / 100; // utime + stime, in ticks of 1/100 s
  } catch {
    return undefined;
  }
};

/** Fires CONCURRENT history queries at once; prints their errors, throughput, latency and the server's CPU time. */
async function load(label: string, ask: (i: number) => Promise<boolean> = askPost): Promise<void> {
  const latencies: number[] = [];
  let errors = 0;
  const cpu0 = serverCpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      const t0 = performance.now();
      if (!(await ask(i).catch(() => false))) errors += 1;
      latencies.push(performance.now() - t0);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = serverCpuMs();
  latencies.sort((a, b) => a - b);
  const at = (q: number): string =>
    (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number).toFixed(0);
  const cpu = cpu0 === undefined || cpu1 === undefined ? '' : `; server main thread CPU ${(cpu1 - cpu0).toFixed(0)} ms`;
  console.log(
    `${label}: errors ${errors}; all done in ${seconds.toFixed(2)} s (${(CONCURRENT / seconds).toFixed(0)} queries/s); latency p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms${cpu}`,
  );
  failures += errors;
}

console.log(
  `GraphQL load: ${RUNS} runs x ${2 * STEPS} points; ${CONCURRENT} concurrent history queries (2 series of 200 samples each)`,
);
await Promise.all(
  Array.from({ length: CONCURRENT }, (_, i) => post(query, { id: `load-${RUNS + (i % WARM_UP_RUNS)}` })),
);
await load('no run executing');
await load('no run executing, as GET', askGet);
await load('no run executing, the same GETs with If-None-Match (304)', askGet);

const spec = {
  model: 'vit-bench-32',
  dataset: { name: 'imagefolder', config: { path: images } },
  strategies: ['full'],
  attacks: [{ name: 'pgd', config: { eps: 1 / 255, steps: 3 } }],
  training: { steps: 400, batchSize: 32, warmupSteps: 0 },
  evaluation: { schedule: [0, 400], testSample: 100, trainSample: 100, validationSample: 50 },
};
const started = await post<{ startRun: { id: string } }>('mutation($spec: JSON!) { startRun(spec: $spec) { id } }', {
  spec,
});
const runId = started.data?.startRun.id;
if (runId === undefined) throw new Error(`startRun failed: ${JSON.stringify(started.errors)}`);
await load('first seconds of a run executing in the server (loading)');
const progress = async (): Promise<{ status: string; step: number } | undefined> =>
  (
    await post<{ run: { progress: { status: string; step: number } | null } }>(
      'query($id: ID!) { run(id: $id) { progress { status step } } }',
      { id: runId },
    )
  ).data?.run.progress ?? undefined;
let state = await progress();
while (state?.status === 'RUNNING' && state.step === 0) {
  await new Promise((r) => setTimeout(r, 200));
  state = await progress();
}
if (state?.status !== 'RUNNING') throw new Error(`the run did not train: ${JSON.stringify(state)}`);
await load(`a run executing in the server (training, step ${state.step})`);
await post('mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: runId });

server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(dir, { recursive: true, force: true });
if (failures > 0) process.exitCode = 1;
