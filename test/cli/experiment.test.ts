import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cli, cliProcess, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

let plugin: string;
let weights: string;
beforeAll(async () => {
  plugin = toyDatasetPackage();
  weights = await tinyCheckpoint(tempDir());
});

const study = (name: string, strategies: unknown[] = ['lora', 'bitfit']) => ({
  name,
  base: {
    model: weights,
    attacks: [{ name: 'pgd', config: { eps: [8 / 255, 2 / 255], steps: 1 } }],
    training: { steps: 4, batchSize: 16, warmupSteps: 0 },
    evaluation: { schedule: [0, 2, 4], trainSample: 10 },
  },
  strategies,
  datasets: ['toy'],
  seeds: [0, 1],
});

interface Entry {
  strategy: string;
  aupf: { mean: number };
  aboveAverage: number;
  runIds: string[];
  seeds: number[];
}
interface Board {
  robustContext: string;
  entries: Entry[];
}

/** A board's entries without their run ids (which differ between two executions of a study). */
const withoutIds = (boards: Board[]): unknown =>
  boards.map((b) => ({ ...b, entries: b.entries.map(({ runIds: _ids, ...entry }) => entry) }));

describe('paretune experiment and frontier', () => {
  it('runs every combination, stores each run, prints the AUPF table, and resumes without redoing finished runs', async () => {
    const dir = tempDir();
    const file = join(dir, 'study.yaml');
    writeFileSync(file, stringify(study('two-strategies')));
    const env = { PARETUNE_DB: join(dir, 'study.db') };
    // On two worker threads (each with its own backend); the store is written by the coordinating process only.
    const first = await cliProcess(
      ['--plugin', plugin, 'experiment', file, '--quiet', '--json', '--workers', '2'],
      dir,
      env,
    );
    expect(first.stderr).toBe('');
    const { runs, leaderboard, plots } = JSON.parse(first.stdout) as {
      runs: number;
      leaderboard: Board[];
      plots: string[];
    };
    expect(plots.map((f) => f.replace(/^.*\//, '')).sort()).toEqual([
      'curves-toy.png',
      'curves-toy.svg',
      'pareto-toy.png',
      'pareto-toy.svg',
    ]);
    for (const f of plots) {
      const meta = await sharp(f).metadata(); // decodes the PNG; parses and renders the SVG
      expect(meta.format).toBe(f.endsWith('.png') ? 'png' : 'svg');
      expect(meta.width).toBeGreaterThan(100);
    }
    const pareto = readFileSync(plots.find((f) => f.endsWith('pareto-toy.svg')) as string, 'utf8');
    for (const strategy of ['lora', 'bitfit']) expect(pareto).toContain(`>${strategy}</text>`); // one legend entry per strategy
    expect(runs).toBe(4);
    expect(leaderboard).toHaveLength(1);
    const entries = leaderboard[0]?.entries ?? [];
    expect(entries.map((e) => [e.strategy, e.seeds]).sort()).toEqual([
      ['bitfit', [0, 1]],
      ['lora', [0, 1]],
    ]);
    expect(entries.reduce((s, e) => s + e.aboveAverage, 0)).toBeCloseTo(0, 8);

    // The same study run one after another in this process gives the same numbers.
    const sequential = await cli(['--plugin', plugin, 'experiment', file, '--quiet', '--json', '--workers', '1'], dir, {
      PARETUNE_DB: join(dir, 'sequential.db'),
    });
    expect(withoutIds((JSON.parse(sequential.stdout) as { leaderboard: Board[] }).leaderboard)).toEqual(
      withoutIds(leaderboard),
    );

    const again = await cli(['--plugin', plugin, 'experiment', file], dir, env);
    expect(again.stderr.match(/already finished/g)).toHaveLength(4);
    expect(again.stdout).toMatch(
      /experiment two-strategies-\w+: 4 runs\ntoy, robust accuracy under pgd Linf eps 8\/255\n +strategy +runs +AUPF/,
    );
    const store = Store.open(env.PARETUNE_DB);
    expect(store.listRuns()).toHaveLength(4);
    store.close();

    const table = (
      JSON.parse((await cli(['frontier', '--experiment', 'two-strategies', '--json'], dir, env)).stdout) as Board[]
    ).flatMap((b) => b.entries);
    expect(table.map((e) => e.strategy).sort()).toEqual(['bitfit', 'lora']);
    // Another threat model of the same runs: its own board, its own AUPF (a smaller radius is a weaker attack).
    const small = JSON.parse(
      (await cli(['frontier', '--experiment', 'two-strategies', '--eps', '2/255', '--json'], dir, env)).stdout,
    ) as Board[];
    expect(
      small.map((b) => JSON.parse(b.robustContext) as { eps: number }).every((c) => Math.abs(c.eps - 2 / 255) < 1e-9),
    ).toBe(true);
    for (const entry of small.flatMap((b) => b.entries)) {
      expect(entry.aupf.mean).toBeGreaterThanOrEqual(
        (table.find((e) => e.strategy === entry.strategy) as Entry).aupf.mean - 1e-9,
      );
    }
    expect(JSON.parse((await cli(['frontier', '--eps', '3/255', '--json'], dir, env)).stdout)).toEqual([]);
    expect((await cli(['frontier', '--experiment', 'nope'], dir, env)).stderr).toContain("no experiment 'nope'");

    const points = (await cli(['export', '--experiment', 'two-strategies'], dir, env)).stdout.trim().split('\n');
    expect(points[0]).toBe('run,strategy,dataset,seed,step,epoch,metric,context,value,count,seconds');
    expect(
      points
        .slice(1)
        .every((line) =>
          /^[0-9a-f-]+,(lora|bitfit),toy,[01],\d+,\d+,(accuracy|loss),"\{.*\}",[\d.]+,\d+,[\d.e-]+$/.test(line),
        ),
    ).toBe(true);
    const frontiers = JSON.parse(
      (await cli(['export', '--what', 'frontiers', '--format', 'json'], dir, env)).stdout,
    ) as { strategy: string; hypervolume: number }[];
    expect(frontiers).toHaveLength(4);
    const out = join(dir, 'frontiers.csv');
    await cli(['export', '--what', 'frontiers', '--out', out], dir, env);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe(
      'run,strategy,dataset,seed,step,clean_accuracy,robust_accuracy,contribution,aupf',
    );
    expect((await cli(['export', '--format', 'xml'], dir, env)).stderr).toContain(
      "--format: 'xml' is not one of csv, json",
    );
  });

  it('refuses malformed files, unknown plugins and a changed definition before storing anything', async () => {
    const dir = tempDir();
    const env = { PARETUNE_DB: join(dir, 'study.db') };
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "name": "x", ');
    expect((await cli(['experiment', bad], dir, env)).stderr).toContain(
      `${bad}: invalid JSON at line 1, column 16: Expected double-quoted property name`,
    );
    writeFileSync(bad, JSON.stringify({ name: 'x', strategies: ['lora'] }));
    expect((await cli(['experiment', bad], dir, env)).stderr).toContain(`${bad} is invalid: field 'datasets'`);
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify(study('typo', ['lroa'])));
    expect((await cli(['--plugin', plugin, 'experiment', unknown], dir, env)).stderr).toContain(
      "unknown strategy 'lroa'",
    );
    const store = Store.open(env.PARETUNE_DB);
    expect([store.listRuns(), store.listExperiments()]).toEqual([[], []]);
    store.close();

    const first = join(dir, 'a.json');
    writeFileSync(first, JSON.stringify({ ...study('same-name', ['linear-probe']), seeds: [0] }));
    expect((await cli(['--plugin', plugin, 'experiment', first, '--quiet', '--workers', '1'], dir, env)).stderr).toBe(
      '',
    );
    writeFileSync(first, JSON.stringify({ ...study('same-name', ['linear-probe']), seeds: [0, 1] }));
    expect((await cli(['--plugin', plugin, 'experiment', first], dir, env)).stderr).toContain(
      "experiment 'same-name' already exists",
    );
  });
});
