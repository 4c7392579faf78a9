import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cli, REPO_ROOT, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

/** A Redis for these tests: .ci/run starts one and sets PARETUNE_TEST_REDIS_URL; the tests flush it. */
const REDIS = process.env['PARETUNE_TEST_REDIS_URL'];
const MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');

interface Child {
  readonly process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, PARETUNE_BACKEND: 'wasm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return { process: child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

type Point = { step: number; name: string; context: Record<string, unknown>; value: number };
const byIdentity = (points: readonly Point[]): Map<string, number> =>
  new Map(points.map((p) => [`${p.step} ${p.name} ${JSON.stringify(Object.entries(p.context).sort(([a], [b]) => (a < b ? -1 : 1)))}`, p.value]));

let plugin: string;
let experimentFile: string;

beforeAll(async () => {
  plugin = toyDatasetPackage();
  const dir = tempDir();
  const weights = await tinyCheckpoint(dir);
  experimentFile = join(dir, 'study.json');
  writeFileSync(
    experimentFile,
    JSON.stringify({
      name: 'distributed',
      base: {
        model: weights,
        attacks: [{ name: 'pgd', config: { eps: 8 / 255, steps: 1 } }],
        training: { steps: 1500, batchSize: 8, warmupSteps: 0 },
        evaluation: { schedule: [0, 300, 600, 900, 1200, 1500], trainSample: 10 },
      },
      strategies: ['lora', 'bitfit'],
      datasets: ['toy'],
      seeds: [0, 1],
    }),
  );
});

describe.skipIf(REDIS === undefined && !process.env['CI'])('distributed execution (BullMQ on a real Redis)', () => {
  it('two workers complete a 4-run experiment; a worker killed mid-run loses nothing: its run resumes on the other worker with exactly the points of an uninterrupted run', async () => {
    const url = REDIS as string;
    const redis = new Redis(url);
    await redis.flushdb();
    await redis.quit();
    const db = join(tempDir(), 'coordinator.db');
    const workerArgs = ['--plugin', plugin, 'worker', '--redis', url, '--lock-duration', '1500'];
    const workers = [start(workerArgs, { PARETUNE_DATA_DIR: tempDir() }), start(workerArgs, { PARETUNE_DATA_DIR: tempDir() })];
    await until(() => workers.every((w) => w.output().includes('worker ready')), 'the workers');

    const coordinator = start(['--plugin', plugin, 'experiment', experimentFile, '--redis', url, '--db', db, '--json'], { PARETUNE_DATA_DIR: tempDir() });
    // Kill whichever worker is running a run once the coordinator has stored that run's checkpoint at step 600.
    let victim: { worker: Child; runId: string } | undefined;
    await until(() => {
      const store = Store.open(db);
      try {
        for (const run of store.listRuns()) {
          if ((store.latestCheckpoint(run.id)?.step ?? 0) < 600 || run.status !== 'running') continue;
          const worker = workers.find((w) => w.output().includes(`starting run ${run.id}`) && !w.output().includes(`finished run ${run.id}`));
          if (worker !== undefined) victim = { worker, runId: run.id };
        }
      } finally {
        store.close();
      }
      return victim !== undefined;
    }, 'a run past its checkpoint at step 600');
    const { worker: killed, runId } = victim as { worker: Child; runId: string };
    killed.process.kill('SIGKILL');
    const survivor = workers.find((w) => w !== killed) as Child;

    expect(await coordinator.exited).toBe(0);
    expect(survivor.output()).toMatch(new RegExp(`resuming from step (600|900|1200) run ${runId}`));
    const store = Store.open(db);
    const runs = store.listRuns();
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished', 'finished', 'finished']);
    const resumed = store.points(runId);
    const spec = store.getRun(runId)?.spec;
    store.close();

    // The same run, uninterrupted, in this process.
    const single = join(tempDir(), 'study.json');
    writeFileSync(single, JSON.stringify({ ...JSON.parse((await import('node:fs')).readFileSync(experimentFile, 'utf8')), name: 'reference', strategies: (spec as { strategies: unknown[] }).strategies, seeds: [(spec as { seed: number }).seed] }));
    const referenceDb = join(tempDir(), 'reference.db');
    const reference = await cli(['--plugin', plugin, 'experiment', single, '--workers', '1', '--quiet'], tempDir(), { PARETUNE_DB: referenceDb });
    expect(reference.code, reference.stderr).toBe(0);
    const referenceStore = Store.open(referenceDb);
    const expected = referenceStore.points(referenceStore.listRuns()[0]?.id as string);
    referenceStore.close();
    expect(resumed).toHaveLength(expected.length);
    expect(byIdentity(resumed)).toEqual(byIdentity(expected));

    // Cancelling reaches a running job: Ctrl-C on the coordinator stops the run on its worker after the current step.
    const cancelDb = join(tempDir(), 'cancel.db');
    const cancelled = start(['--plugin', plugin, 'experiment', experimentFile, '--redis', url, '--db', cancelDb], { PARETUNE_DATA_DIR: tempDir() });
    await until(() => /started on wasm/.test(cancelled.output()), 'a run to start');
    cancelled.process.kill('SIGINT');
    expect(await cancelled.exited).toBe(130);
    const after = Store.open(cancelDb);
    const statuses = after.listRuns().map((r) => r.status);
    after.close();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 'cancelled')).toBe(true);
    await until(() => /run \S+ cancelled: stopped at step/.test(survivor.output()), 'the worker to stop the run');

    survivor.process.kill('SIGTERM');
    await survivor.exited;
  }, 240_000);

  it('says clearly when Redis cannot be reached, and stores nothing', async () => {
    const db = join(tempDir(), 'nothing.db');
    const result = await cli(['--plugin', plugin, 'experiment', experimentFile, '--redis', 'redis://127.0.0.1:1', '--db', db], tempDir());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    const store = Store.open(db);
    expect([store.listExperiments(), store.listRuns()]).toEqual([[], []]);
    store.close();
    const server = await cli(['serve', '--port', '0', '--redis', 'redis://127.0.0.1:1', '--db', db], tempDir());
    expect(server.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    const worker = await cli(['worker', '--redis', 'redis://127.0.0.1:1'], tempDir());
    expect(worker.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    expect((await cli(['worker'], tempDir(), { PARETUNE_REDIS_URL: '' })).stderr).toContain('paretune worker needs --redis <url> or PARETUNE_REDIS_URL');
  }, 60_000);
});
