import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cli, cliProcess, REPO_ROOT, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

let plugin: string;
let weights: string;
beforeAll(async () => {
  plugin = toyDatasetPackage();
  weights = await tinyCheckpoint(tempDir());
});

const study = (name: string) => ({
  name,
  base: {
    model: weights,
    attacks: [],
    training: { steps: 4, batchSize: 16, warmupSteps: 0 },
    evaluation: { schedule: [0, 4], trainSample: 10 },
  },
  strategies: ['bitfit'],
  datasets: [{ name: 'toy', config: { train: 60, test: 12 } }],
  seeds: [0, 1],
});

/** The runs a process said it executes (`[i/n] {spec}` lines), and those it left to another process. */
const executed = (stderr: string): number => (stderr.match(/^\[\d\/\d\] \{/gm) ?? []).length;

describe('two processes on one database', () => {
  it('two `paretune experiment` processes at once execute each planned run once and store one row per run', async () => {
    const dir = tempDir();
    const file = join(dir, 'same.yaml');
    writeFileSync(file, stringify(study('shared')));
    const db = join(dir, 'same.db'); // a new database: both processes also migrate it at once
    const args = ['--plugin', plugin, 'experiment', file, '--db', db, '--workers', '1'];
    const [a, b] = await Promise.all([cliProcess(args, dir), cliProcess(args, dir)]);
    expect([a?.code, b?.code], `${a?.stderr}\n${b?.stderr}`).toEqual([0, 0]);
    expect(executed(a?.stderr ?? '') + executed(b?.stderr ?? '')).toBe(2);
    const store = Store.open(db);
    expect(store.listExperiments()).toHaveLength(1);
    const runs = store.listRuns();
    expect(runs.map((r) => [r.seed, r.status]).sort()).toEqual([
      [0, 'finished'],
      [1, 'finished'],
    ]);
    store.close();
  }, 180_000);
});

describe('a run killed in one process, resumed from others', () => {
  const dir = tempDir();
  const file = join(dir, 'killed.yaml');
  const db = join(dir, 'killed.db');
  const data = tempDir();
  let runId = '';
  let checkpoint = '';

  it('an experiment process killed with SIGKILL leaves its run to others: resume refuses while it lives, then takes it', async () => {
    writeFileSync(
      file,
      stringify({
        ...study('killed'),
        base: {
          ...study('killed').base,
          training: { steps: 200, batchSize: 16, warmupSteps: 0 },
          evaluation: { schedule: [0, 100, 200], trainSample: 10 },
        },
      }),
    );
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'dist/src/cli/main.js'),
        '--plugin',
        plugin,
        'experiment',
        file,
        '--db',
        db,
        '--workers',
        '1',
        '--quiet',
      ],
      {
        env: { ...process.env, PARETUNE_DATA_DIR: data, PARETUNE_BACKEND: 'wasm' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    for (let waited = 0; checkpoint === '' && waited < 60_000; waited += 50) {
      await sleep(50);
      const store = Store.open(db);
      const run = store.listRuns().find((r) => store.latestCheckpoint(r.id) !== undefined);
      if (run !== undefined) [runId, checkpoint] = [run.id, store.latestCheckpoint(run.id)?.path ?? ''];
      store.close();
    }
    expect(checkpoint).not.toBe('');
    const whileAlive = await cliProcess(['--plugin', plugin, 'resume', runId, '--db', db], dir, {
      PARETUNE_DATA_DIR: data,
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(whileAlive.code).toBe(1);
    expect(whileAlive.stderr).toBe(`paretune: run ${runId} is running in another process; stop it there first\n`);
  }, 120_000);

  it('a resume that cannot read the checkpoint fails in one line and leaves the run resumable', async () => {
    const bytes = readFileSync(checkpoint);
    writeFileSync(checkpoint, 'not a checkpoint');
    const failed = await cliProcess(['--plugin', plugin, 'resume', runId, '--db', db], dir, {
      PARETUNE_DATA_DIR: data,
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toContain(checkpoint);
    const store = Store.open(db);
    expect(store.getRun(runId)).toMatchObject({ status: 'running', interrupted: true });
    expect(store.latestCheckpoint(runId)?.path).toBe(checkpoint);
    store.close();
    writeFileSync(checkpoint, bytes);
  }, 60_000);

  it('two resumes at once: one resumes the run, the other refuses; the experiment then runs only what is left', async () => {
    const resume = () =>
      cliProcess(['--plugin', plugin, 'resume', runId, '--db', db, '--quiet'], dir, { PARETUNE_DATA_DIR: data });
    const results = await Promise.all([resume(), resume()]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(results.find((r) => r.code === 1)?.stderr).toMatch(
      new RegExp(
        `^paretune: run ${runId} (is running in another process; stop it there first|already finished; nothing to resume)\\n$`,
      ),
    );
    const again = await cliProcess(['--plugin', plugin, 'experiment', file, '--db', db, '--workers', '1'], dir, {
      PARETUNE_DATA_DIR: data,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`run ${runId} already finished`);
    expect(executed(again.stderr)).toBe(1);
    const store = Store.open(db);
    expect(
      store
        .listRuns()
        .map((r) => [r.seed, r.status])
        .sort(),
    ).toEqual([
      [0, 'finished'],
      [1, 'finished'],
    ]);
    store.close();
  }, 120_000);
});

describe('refused input creates nothing', () => {
  it('an invalid run spec, an unknown plugin in an experiment, or a wrong --save-adaptation path: one line, no database, no folder', async () => {
    const dir = tempDir();
    const db = join(dir, 'new', 'folder', 'p.db');
    const tiny = [
      '--plugin',
      plugin,
      'run',
      '--model',
      weights,
      '--dataset',
      'toy',
      '--strategy',
      'bitfit',
      '--steps',
      '2',
      '--batch-size',
      '8',
      '--db',
      db,
    ];
    const typo = await cli(
      ['--plugin', plugin, 'run', '--model', weights, '--dataset', 'toy', '--strategy', 'lroa', '--db', db],
      dir,
    );
    expect([typo.code, typo.stderr.split('\n').length]).toEqual([1, 2]);
    const experimentFile = join(dir, 'typo.json');
    writeFileSync(experimentFile, JSON.stringify({ ...study('typo'), strategies: ['lroa'] }));
    expect((await cli(['--plugin', plugin, 'experiment', experimentFile, '--db', db], dir)).stderr).toContain(
      "unknown strategy 'lroa'",
    );
    const folder = await cli([...tiny, '--save-adaptation', dir], dir);
    expect(folder.stderr).toBe(
      `paretune: --save-adaptation ${dir}: is a directory; expected a file name such as ${join(dir, 'adaptation.safetensors')}\n`,
    );
    writeFileSync(join(dir, 'notes.txt'), 'a file');
    const underFile = await cli([...tiny, '--save-adaptation', join(dir, 'notes.txt', 'a.safetensors')], dir);
    expect(underFile.stderr).toBe(
      `paretune: --save-adaptation ${join(dir, 'notes.txt', 'a.safetensors')}: ${join(dir, 'notes.txt')} is a file, not a folder; expected a file paretune can write\n`,
    );
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });
});
