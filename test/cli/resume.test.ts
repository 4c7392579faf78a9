import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cli, REPO_ROOT, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

interface Point {
  step: number;
  name: string;
  context: Record<string, unknown>;
  value: number;
}
/** A point's identity, with context keys in a fixed order (the store canonicalises them). */
const key = (p: Point): string =>
  `${p.step} ${p.name} ${JSON.stringify(Object.entries(p.context).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

describe('resumable runs', () => {
  it('a run killed with SIGKILL resumes from its last checkpoint and ends with exactly the points of an uninterrupted run', async () => {
    const plugin = toyDatasetPackage();
    const weights = await tinyCheckpoint(tempDir());
    const args = [
      '--plugin',
      plugin,
      'run',
      '--model',
      weights,
      '--dataset',
      'toy',
      '--dataset-config',
      '{"train":200,"test":20}',
      '--strategy',
      'lora',
      '--steps',
      '400',
      '--batch-size',
      '16',
      '--warmup',
      '0',
      '--eval-schedule',
      '0,100,200,300',
      '--train-sample',
      '10',
      '--attack-steps',
      '1',
      '--quiet',
      '--json',
    ];
    const db = join(tempDir(), 'killed.db');
    const env: NodeJS.ProcessEnv = { ...process.env, PARETUNE_DB: db, PARETUNE_DATA_DIR: tempDir() };
    delete env['PARETUNE_BACKEND'];

    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...args], { env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let runId: string | undefined;
    for (let waited = 0; runId === undefined && waited < 60_000; waited += 25) {
      await sleep(25);
      const store = Store.open(db);
      const run = store.listRuns()[0];
      if (run !== undefined && (store.latestCheckpoint(run.id)?.step ?? 0) >= 100) runId = run.id;
      store.close();
    }
    expect(runId).toBeDefined();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const store = Store.open(db);
    const interrupted = store.getRun(runId as string);
    const before = store.points(runId as string);
    store.close();
    expect(interrupted).toMatchObject({ status: 'running', interrupted: true });
    expect(new Set(before.map((p) => p.step)).has(400)).toBe(false); // it really stopped mid-training

    const resumed = await cli(['--plugin', plugin, 'resume', runId as string, '--quiet', '--json'], tempDir(), {
      PARETUNE_DB: db,
      PARETUNE_DATA_DIR: env.PARETUNE_DATA_DIR as string,
    });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const after = Store.open(db);
    const stored = after.points(runId as string) as Point[];
    expect(after.getRun(runId as string)).toMatchObject({ status: 'finished', lastStep: 400 });
    after.close();

    const reference = await cli(args, tempDir(), { PARETUNE_DB: join(tempDir(), 'reference.db') });
    const expected = (JSON.parse(reference.stdout) as { points: Point[] }).points;
    expect(new Set(stored.map(key)).size).toBe(stored.length); // no duplicates
    expect(stored.map(key).sort()).toEqual(expected.map(key).sort());
    const byKey = new Map(expected.map((p) => [key(p), p.value]));
    for (const p of stored) expect(p.value, key(p)).toBe(byKey.get(key(p)));
    expect(JSON.parse(resumed.stdout).points.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it('Ctrl-C (SIGINT) stops a run after the current step, marks it cancelled, and it resumes', async () => {
    const plugin = toyDatasetPackage();
    const weights = await tinyCheckpoint(tempDir());
    const db = join(tempDir(), 'stopped.db');
    const data = tempDir();
    const env: NodeJS.ProcessEnv = { ...process.env, PARETUNE_DB: db, PARETUNE_DATA_DIR: data };
    const args = [
      '--plugin',
      plugin,
      'run',
      '--model',
      weights,
      '--dataset',
      'toy',
      '--dataset-config',
      '{"train":200,"test":20}',
      '--strategy',
      'bitfit',
      '--steps',
      '1500',
      '--batch-size',
      '16',
      '--warmup',
      '0',
      '--eval-schedule',
      '0,100',
      '--train-sample',
      '10',
      '--attack',
      'none',
      '--quiet',
    ];
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let runId: string | undefined;
    for (let waited = 0; runId === undefined && waited < 60_000; waited += 25) {
      await sleep(25);
      const store = Store.open(db);
      const run = store.listRuns()[0];
      if (
        run !== undefined &&
        store.latestCheckpoint(run.id) !== undefined &&
        (store.latestCheckpoint(run.id)?.step ?? 0) >= 100
      )
        runId = run.id;
      store.close();
    }
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toContain(`paretune: continue run ${runId} with: paretune resume ${runId}`);
    const store = Store.open(db);
    expect(store.getRun(runId as string)).toMatchObject({ status: 'cancelled' });
    store.close();
    const resumed = await cli(['--plugin', plugin, 'resume', runId as string, '--quiet', '--json'], tempDir(), {
      PARETUNE_DB: db,
      PARETUNE_DATA_DIR: data,
    });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ lastStep: 1500 });
  });

  it('explains what cannot be resumed', async () => {
    const db = join(tempDir(), 'r.db');
    Store.open(db).close();
    expect((await cli(['resume', 'missing'], tempDir(), { PARETUNE_DB: db })).stderr).toContain("no run 'missing' in");
  });
});
