import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cli, cliProcess, REPO_ROOT, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';
import { onWebGpu, TOLERANCE } from './helpers.js';

interface Row {
  strategy: string;
  seeds: number[];
  aupf: { mean: number };
}

describe.skipIf(!onWebGpu)('runs executed off the main thread on webgpu', () => {
  let plugin: string;
  let weights: string;
  beforeAll(async () => {
    plugin = toyDatasetPackage();
    weights = await tinyCheckpoint(tempDir());
  });

  it('an experiment on two worker threads, each starting Dawn, with an example attack plugin, agrees with the same experiment in this process', async () => {
    const dir = tempDir();
    const file = join(dir, 'study.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'on-webgpu',
        base: {
          model: weights,
          attacks: [{ name: 'apgd-ce', config: { eps: '8/255', steps: 2 } }],
          training: { steps: 2, batchSize: 16, warmupSteps: 0 },
          evaluation: { schedule: [0, 2], trainSample: 10, testSample: 16 },
        },
        strategies: ['lora', 'bitfit'],
        datasets: ['toy'],
        seeds: [0],
      }),
    );
    // The example installed as a user would have it: beside paretune (node_modules/paretune links to this checkout).
    const apgd = join(dir, 'apgd-attack');
    cpSync(join(REPO_ROOT, 'plugins-examples/apgd-attack'), apgd, { recursive: true });
    mkdirSync(join(apgd, 'node_modules'));
    symlinkSync(REPO_ROOT, join(apgd, 'node_modules', 'paretune'), 'dir');
    const plugins = ['--plugin', plugin, '--plugin', apgd];
    const db = join(dir, 'threads.db');
    const threads = await cliProcess([...plugins, 'experiment', file, '--quiet', '--json', '--workers', '2'], dir, {
      PARETUNE_DB: db,
      PARETUNE_BACKEND: 'webgpu',
    });
    // Dawn prints its adapter warnings on a software adapter; paretune itself says nothing.
    expect(threads.stderr).not.toMatch(/paretune:|Error/);
    expect(threads.code).toBe(0);
    const store = Store.open(db);
    const runs = store.listRuns();
    store.close();
    expect(runs.map((r) => [r.status, r.backend])).toEqual([
      ['finished', 'webgpu'],
      ['finished', 'webgpu'],
    ]);

    // This test file's process runs on webgpu too: one run after another here.
    const here = await cli([...plugins, 'experiment', file, '--quiet', '--json', '--workers', '1'], dir, {
      PARETUNE_DB: join(dir, 'here.db'),
    });
    expect(here.code).toBe(0);
    const board = (stdout: string): Row[] =>
      // One board (one protocol), its entries by strategy.
      (JSON.parse(stdout) as { leaderboard: { entries: Row[] }[] }).leaderboard
        .flatMap((b) => b.entries)
        .sort((a, b) => a.strategy.localeCompare(b.strategy));
    const [threaded, sequential] = [board(threads.stdout), board(here.stdout)];
    expect(threaded.map((r) => [r.strategy, r.seeds.length])).toEqual([
      ['bitfit', 1],
      ['lora', 1],
    ]);
    threaded.forEach((row, i) =>
      expect(Math.abs(row.aupf.mean - (sequential[i]?.aupf.mean ?? NaN))).toBeLessThanOrEqual(TOLERANCE),
    );
  });
});
