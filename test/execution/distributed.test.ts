import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { DistributedCoordinator, REPORTS_QUEUE_PREFIX } from '../../src/core/execution/distributed.js';
import { Store } from '../../src/core/store/store.js';
import { cli, REPO_ROOT, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

/**
 * The Redis these tests use and flush: PARETUNE_TEST_REDIS_URL when set, else a private redis-server they start
 * (random port, temporary folder, stopped after them) where one is installed. On CI a missing Redis fails them.
 */
const GIVEN_REDIS = process.env['PARETUNE_TEST_REDIS_URL'];
const REDIS_SERVER_INSTALLED = spawnSync('redis-server', ['--version']).status === 0;
const SKIP = GIVEN_REDIS === undefined && !REDIS_SERVER_INSTALLED && !process.env['CI'];
if (SKIP)
  console.warn('distributed execution tests skipped: no redis-server on PATH and PARETUNE_TEST_REDIS_URL is not set');
const MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');

interface Child {
  readonly process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Every process a test started; whatever still runs when it ends (it failed half-way) is killed. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

function start(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, PARETUNE_BACKEND: 'wasm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return {
    process: child,
    output: () => output,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

type Point = { step: number; name: string; context: Record<string, unknown>; value: number };
const byIdentity = (points: readonly Point[]): Map<string, number> =>
  new Map(
    points.map((p) => [
      `${p.step} ${p.name} ${JSON.stringify(Object.entries(p.context).sort(([a], [b]) => (a < b ? -1 : 1)))}`,
      p.value,
    ]),
  );

/** Uninterrupted runs by their one-run study: several tests compare against the same run, made once. */
const references = new Map<string, Promise<Point[]>>();

/** The points of the experiment's run with these strategies and seed, run uninterrupted in this process. */
function uninterruptedPoints(experiment: string, spec: unknown): Promise<Point[]> {
  const { strategies, seed } = spec as { strategies: unknown[]; seed: number };
  const study = JSON.stringify({
    ...JSON.parse(readFileSync(experiment, 'utf8')),
    name: 'reference',
    strategies,
    seeds: [seed],
  });
  let points = references.get(study);
  if (points === undefined) {
    points = runUninterrupted(study);
    references.set(study, points);
  }
  return points;
}

async function runUninterrupted(study: string): Promise<Point[]> {
  const single = join(tempDir(), 'study.json');
  writeFileSync(single, study);
  const db = join(tempDir(), 'reference.db');
  const reference = await cli(['--plugin', plugin, 'experiment', single, '--workers', '1', '--quiet'], tempDir(), {
    PARETUNE_DB: db,
  });
  expect(reference.code, reference.stderr).toBe(0);
  const store = Store.open(db);
  try {
    return store.points(store.listRuns()[0]?.id as string);
  } finally {
    store.close();
  }
}

/** A redis-server of the tests' own, ready for clients: with persistence it appends every write to disk. */
async function startRedis(dir: string, port: number, persistence: boolean): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      persistence ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: 'ignore' },
  );
  const client = new Redis(port, '127.0.0.1', { retryStrategy: () => 100 });
  client.on('error', () => undefined);
  try {
    await until(() => client.status === 'ready', 'redis-server to start', 10_000);
  } catch (error) {
    server.kill('SIGKILL');
    throw error;
  } finally {
    client.disconnect();
  }
  return server;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Each run trains for seconds after the checkpoint at which a test kills a worker, a coordinator or Redis, so that it
 * is still training while they recover; every evaluation step is a checkpoint.
 */
const STEPS = 500;
const CHECKPOINT_EVERY = 100;
const SCHEDULE = Array.from({ length: STEPS / CHECKPOINT_EVERY + 1 }, (_, i) => i * CHECKPOINT_EVERY);

let plugin: string;
let experimentFile: string;

/** A study file of the experiment's base with these strategies and seed 0 only. */
function oneSeedStudy(name: string, strategies: string[]): string {
  const file = join(tempDir(), `${name}.json`);
  const experiment = JSON.parse(readFileSync(experimentFile, 'utf8')) as object;
  writeFileSync(file, JSON.stringify({ ...experiment, name, strategies, seeds: [0] }));
  return file;
}

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
        training: { steps: STEPS, batchSize: 8, warmupSteps: 0 },
        evaluation: { schedule: SCHEDULE, trainSample: 10 },
      },
      strategies: ['lora', 'bitfit'],
      datasets: ['toy'],
      seeds: [0, 1],
    }),
  );
});

describe.skipIf(SKIP)('distributed execution (BullMQ on a real Redis)', () => {
  let url: string;
  let privateRedis: ChildProcess | undefined;
  beforeAll(async () => {
    if (GIVEN_REDIS !== undefined) {
      url = GIVEN_REDIS;
      return;
    }
    if (!REDIS_SERVER_INSTALLED)
      throw new Error('with CI set these tests need redis-server on PATH or PARETUNE_TEST_REDIS_URL');
    const port = await freePort();
    privateRedis = await startRedis(tempDir(), port, false);
    url = `redis://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    const server = privateRedis;
    if (server === undefined || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  });

  it('a coordinator taking a run over records the reports its worker still sends to the gone coordinator, in order', async () => {
    const store = Store.open(join(tempDir(), 'takeover.db'));
    const runId = `takeover-${Date.now()}`;
    store.createRun({ id: runId, spec: {}, seed: 0, strategy: 'lora', dataset: 'toy', paretuneVersion: '0.1.0' });
    const redis = new Redis(url);
    // The coordinator that queued the run has gone; its worker has not looked the new one up yet.
    const gone = `${REPORTS_QUEUE_PREFIX}-gone-${runId}`;
    await redis.set(`paretune:report-to:${runId}`, gone);
    const coordinator = await DistributedCoordinator.connect({ url }, store);
    const stop = new AbortController();
    const outcome = coordinator
      .submit({ runId, spec: {}, queuedAt: new Date().toISOString() }, stop.signal, () => undefined)
      .catch((error: unknown) => error);
    const point = { epoch: 0, name: 'accuracy', context: { split: 'test' }, value: 0.5, count: 4, seconds: 0 };
    const straggler = new Queue(gone, { connection: redis });
    await sleep(300); // after the takeover read the gone queue once
    await straggler.add('report', {
      runId,
      kind: 'event',
      event: { type: 'evaluation', step: 5, points: [{ step: 5, ...point }] },
    });
    await until(() => store.points(runId).length === 1, 'the straggling report to be recorded', 10_000);
    stop.abort();
    expect(await outcome).toBeInstanceOf(Error);
    await straggler.obliterate({ force: true });
    await straggler.close();
    await coordinator.close();
    await redis.quit();
    store.close();
  });

  it('two workers complete a 4-run experiment; a worker killed mid-run loses nothing: its run resumes on the other worker with exactly the points of an uninterrupted run; a cancelled experiment finishes when run again', async () => {
    const redis = new Redis(url);
    await redis.flushdb();
    await redis.quit();
    const db = join(tempDir(), 'coordinator.db');
    const workerArgs = ['--plugin', plugin, 'worker', '--redis', url, '--lock-duration', '1500'];
    const workers = [
      start(workerArgs, { PARETUNE_DATA_DIR: tempDir() }),
      start(workerArgs, { PARETUNE_DATA_DIR: tempDir() }),
    ];
    // Started beside the workers: its jobs wait in Redis until a worker is ready.
    const coordinator = start(
      ['--plugin', plugin, 'experiment', experimentFile, '--redis', url, '--db', db, '--json'],
      { PARETUNE_DATA_DIR: tempDir() },
    );
    await until(() => workers.every((w) => w.output().includes('worker ready')), 'the workers');
    // Kill whichever worker is running a run once the coordinator has stored that run's third checkpoint.
    const killAfter = SCHEDULE[2] as number;
    let victim: { worker: Child; runId: string; spec: unknown } | undefined;
    await until(() => {
      const store = Store.open(db);
      try {
        for (const run of store.listRuns()) {
          if ((store.latestCheckpoint(run.id)?.step ?? 0) < killAfter || run.status !== 'running') continue;
          const worker = workers.find(
            (w) => w.output().includes(`starting run ${run.id}`) && !w.output().includes(`finished run ${run.id}`),
          );
          if (worker !== undefined) victim = { worker, runId: run.id, spec: run.spec };
        }
      } finally {
        store.close();
      }
      return victim !== undefined;
    }, `a run past its checkpoint at step ${killAfter}`);
    const { worker: killed, runId, spec } = victim as { worker: Child; runId: string; spec: unknown };
    killed.process.kill('SIGKILL');
    const survivor = workers.find((w) => w !== killed) as Child;
    // Made here, on the core the killed worker had, while the survivor finishes the experiment.
    const uninterrupted = uninterruptedPoints(experimentFile, spec);

    expect(await coordinator.exited).toBe(0);
    const resumable = SCHEDULE.filter((step) => step >= killAfter && step < STEPS).join('|');
    expect(survivor.output()).toMatch(new RegExp(`resuming from step (${resumable}) run ${runId}`));
    const store = Store.open(db);
    const runs = store.listRuns();
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished', 'finished', 'finished']);
    const resumed = store.points(runId);
    store.close();

    const expected = await uninterrupted;
    expect(resumed).toHaveLength(expected.length);
    expect(byIdentity(resumed)).toEqual(byIdentity(expected));

    // Cancelling reaches a running job: Ctrl-C on the coordinator stops the run on its worker after the current step.
    // Two runs for the one worker left: one running, one waiting in the queue.
    const cancelStudy = oneSeedStudy('cancel', ['lora', 'bitfit']);
    const cancelDb = join(tempDir(), 'cancel.db');
    const cancelled = start(['--plugin', plugin, 'experiment', cancelStudy, '--redis', url, '--db', cancelDb], {
      PARETUNE_DATA_DIR: tempDir(),
    });
    await until(() => /started on wasm/.test(cancelled.output()), 'a run to start');
    cancelled.process.kill('SIGINT');
    expect(await cancelled.exited).toBe(130);
    const after = Store.open(cancelDb);
    const statuses = after.listRuns().map((r) => r.status);
    after.close();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 'cancelled')).toBe(true);
    await until(() => /run \S+ cancelled: stopped at step/.test(survivor.output()), 'the worker to stop the run');

    // Running the experiment again finishes it: the cancelled runs are queued again and resume.
    const before = survivor.output().length;
    const again = start(['--plugin', plugin, 'experiment', cancelStudy, '--redis', url, '--db', cancelDb, '--quiet'], {
      PARETUNE_DATA_DIR: tempDir(),
    });
    expect(await again.exited, again.output()).toBe(0);
    const finished = Store.open(cancelDb);
    expect(finished.listRuns().map((r) => r.status)).toEqual(['finished', 'finished']);
    finished.close();
    expect(survivor.output().slice(before)).toMatch(/resuming from step \d+ run/);

    survivor.process.kill('SIGTERM');
    await survivor.exited;
  }, 360_000);

  it.each([
    { persistence: true, what: 'keeps the queue' },
    { persistence: false, what: 'forgets the queue' },
  ])(
    'a Redis restart that $what loses no run and no point; the coordinator and the worker say so and go on',
    async ({ persistence }) => {
      const dir = tempDir();
      const port = await freePort();
      const restartedUrl = `redis://127.0.0.1:${port}`;
      let redis = await startRedis(dir, port, persistence);
      children.add(redis);
      // Two runs for one worker: while Redis is away, one run is running and the other waits in the queue.
      const study = oneSeedStudy('restart', ['lora', 'bitfit']);
      const db = join(tempDir(), 'coordinator.db');
      const worker = start(['--plugin', plugin, 'worker', '--redis', restartedUrl], { PARETUNE_DATA_DIR: tempDir() });
      const coordinator = start(
        ['--plugin', plugin, 'experiment', study, '--redis', restartedUrl, '--db', db, '--json'],
        { PARETUNE_DATA_DIR: tempDir() },
      );
      await until(() => worker.output().includes('worker ready'), 'the worker');
      await until(() => {
        const store = Store.open(db);
        try {
          return store
            .listRuns()
            .some((run) => run.status === 'running' && (store.latestCheckpoint(run.id)?.step ?? 0) >= CHECKPOINT_EVERY);
        } finally {
          store.close();
        }
      }, `a run past its checkpoint at step ${CHECKPOINT_EVERY}`);

      redis.kill('SIGTERM');
      await new Promise((resolve) => redis.once('exit', resolve));
      const lost = `lost the connection to Redis at ${restartedUrl}; reconnecting`;
      await until(() => coordinator.output().includes(lost) && worker.output().includes(lost), 'both to notice');
      await sleep(2000);
      redis = await startRedis(dir, port, persistence);
      children.add(redis);
      await until(
        () =>
          coordinator.output().includes(`reconnected to Redis at ${restartedUrl}`) &&
          worker.output().includes(`reconnected to Redis at ${restartedUrl}`),
        'both to reconnect',
      );
      // Without persistence the coordinator queues both runs again; the worker finishes the one it had, and skips
      // that one's new job.
      await until(
        () => coordinator.output().split('queueing it again').length - 1 === (persistence ? 0 : 2),
        'the lost runs to be queued again',
        10_000,
      );

      expect(await coordinator.exited, coordinator.output()).toBe(0);
      // One line each way, not a stack trace per reconnection attempt.
      for (const output of [coordinator.output(), worker.output()]) expect(output).not.toMatch(/ECONN|\n\s+at /);
      await until(
        () => worker.output().split('finished run').length - 1 === 2,
        'the worker to finish both runs',
        10_000,
      );
      expect(worker.output().split('starting run').length - 1).toBe(2);
      expect(worker.output().includes('is already finished; skipping its job')).toBe(!persistence);
      const store = Store.open(db);
      const runs = store.listRuns();
      const stored = runs.map((run) => ({ spec: run.spec, status: run.status, points: store.points(run.id) }));
      store.close();
      expect(stored.map((run) => run.status)).toEqual(['finished', 'finished']);
      for (const run of stored) {
        const expected = await uninterruptedPoints(study, run.spec);
        expect(run.points).toHaveLength(expected.length);
        expect(byIdentity(run.points)).toEqual(byIdentity(expected));
      }
    },
    240_000,
  );

  it('two coordinators share one Redis and its workers, each recording only its own runs; a coordinator killed mid-run is taken over when started again', async () => {
    const redis = new Redis(url);
    await redis.flushdb();
    await redis.quit();
    const workerArgs = ['--plugin', plugin, 'worker', '--redis', url];
    const workers = [
      start(workerArgs, { PARETUNE_DATA_DIR: tempDir() }),
      start(workerArgs, { PARETUNE_DATA_DIR: tempDir() }),
    ];

    // Two coordinators at once (say an API server and a CLI experiment), each on its own database.
    const studies = [oneSeedStudy('first', ['lora']), oneSeedStudy('second', ['bitfit'])];
    const dbs = [join(tempDir(), 'first.db'), join(tempDir(), 'second.db')];
    const killedAt = { step: 0 };
    let coordinators = studies.map((study, i) =>
      start(['--plugin', plugin, 'experiment', study, '--redis', url, '--db', dbs[i] as string], {
        PARETUNE_DATA_DIR: tempDir(),
      }),
    );
    await until(() => workers.every((w) => w.output().includes('worker ready')), 'the workers');
    // The first one is killed once its run has a checkpoint after step 0, then started again.
    await until(() => {
      const store = Store.open(dbs[0] as string);
      try {
        killedAt.step = store.listRuns().map((run) => store.latestCheckpoint(run.id)?.step ?? 0)[0] ?? 0;
        return killedAt.step >= CHECKPOINT_EVERY;
      } finally {
        store.close();
      }
    }, `the first run past step ${CHECKPOINT_EVERY}`);
    coordinators[0]?.process.kill('SIGKILL');
    await coordinators[0]?.exited;
    await sleep(1000); // the worker goes on, reporting to the queue of the killed coordinator
    coordinators = [
      start(['--plugin', plugin, 'experiment', studies[0] as string, '--redis', url, '--db', dbs[0] as string], {
        PARETUNE_DATA_DIR: tempDir(),
      }),
      coordinators[1] as Child,
    ];
    for (const coordinator of coordinators) expect(await coordinator.exited, coordinator.output()).toBe(0);

    for (const [i, db] of dbs.entries()) {
      const store = Store.open(db);
      const runs = store.listRuns();
      const points = runs.map((run) => store.points(run.id));
      store.close();
      expect(runs.map((run) => [run.status, (run.spec as { strategies: string[] }).strategies[0]])).toEqual([
        ['finished', i === 0 ? 'lora' : 'bitfit'],
      ]);
      const expected = await uninterruptedPoints(studies[i] as string, runs[0]?.spec);
      expect(points[0]).toHaveLength(expected.length);
      expect(byIdentity(points[0] ?? [])).toEqual(byIdentity(expected));
    }
    // Each run was executed once: the restarted coordinator took the running one over instead of queueing it again.
    expect(workers.map((w) => w.output().split('starting run').length - 1).reduce((a, b) => a + b)).toBe(2);
    expect(workers.some((w) => w.output().includes('resuming from'))).toBe(false);
  }, 240_000);

  it('says clearly when Redis cannot be reached, and stores nothing', async () => {
    const db = join(tempDir(), 'nothing.db');
    const result = await cli(
      ['--plugin', plugin, 'experiment', experimentFile, '--redis', 'redis://127.0.0.1:1', '--db', db],
      tempDir(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    const store = Store.open(db);
    expect([store.listExperiments(), store.listRuns()]).toEqual([[], []]);
    store.close();
    const server = await cli(['serve', '--port', '0', '--redis', 'redis://127.0.0.1:1', '--db', db], tempDir());
    expect(server.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    const worker = await cli(['worker', '--redis', 'redis://127.0.0.1:1'], tempDir());
    expect(worker.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    expect((await cli(['worker'], tempDir(), { PARETUNE_REDIS_URL: '' })).stderr).toContain(
      'paretune worker needs --redis <url> or PARETUNE_REDIS_URL',
    );
  }, 60_000);
});
