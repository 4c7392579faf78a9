import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import {
  cli,
  cliProcess,
  expectedCorrelation,
  pooledDomains,
  seedRuns,
  tempDir,
  tinyCheckpoint,
  toyDatasetPackage,
} from '../helpers/index.js';
import type { SeedRun, ShiftedSeries } from '../helpers/index.js';

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
  correlations: { kind: string; context: { eps?: number } | null; pearson: number | null; spearman: number | null }[];
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
    // The row's correlations are those of --json: none with shifts (the study measured none), '-' where undefined.
    expect(again.stdout).toMatch(/ ckpt rob +r shift +rho shift +r rob +rho rob\n/);
    const cell = (value: number | null | undefined): string => (value == null ? '-' : value.toFixed(2));
    for (const entry of entries) {
      const robust = entry.correlations.find(
        (c) => c.kind === 'robust' && Math.abs(Number(c.context?.eps) - 8 / 255) < 1e-9,
      );
      expect(robust).toBeDefined();
      expect(entry.correlations.filter((c) => c.kind !== 'robust')).toEqual([]);
      const row = again.stdout.split('\n').find((l) => l.trim().startsWith(`${entry.strategy} `)) as string;
      expect(row.trim().split(/\s+/).slice(-4)).toEqual(['-', '-', cell(robust?.pearson), cell(robust?.spearman)]);
    }
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

/** A dataset folder by absolute path, which no published leaderboard may show. */
const DATA_DIR = '/srv/private/mnist-like';

const seeded = (
  id: string,
  seed: number,
  strategy: string,
  trajectory: SeedRun['trajectory'],
  shifted?: ShiftedSeries[],
): SeedRun => ({
  id,
  seed,
  strategy,
  dataset: 'mnist-like',
  tags: [],
  trajectory,
  spec: { dataset: { name: 'mnist-like', config: { dir: DATA_DIR } } },
  ...(shifted === undefined ? {} : { shifted }),
});

/** Two lora seeds with other-domain accuracy, and a bitfit run that measured no shift. */
const STORED: SeedRun[] = [
  seeded(
    'lora-0',
    0,
    'lora',
    [
      [0.2, 0.1],
      [0.4, 0.15],
      [0.5, 0.3],
      [0.7, 0.2],
      [0.8, 0.25],
    ],
    [
      { domain: 'sketch', images: 50, accuracy: [0.15, 0.3, 0.3, 0.5, 0.6] },
      { domain: 'painting', images: 150, accuracy: [0.1, 0.2, null, 0.4, 0.5] },
    ],
  ),
  seeded(
    'lora-1',
    1,
    'lora',
    [
      [0.3, 0.2],
      [0.35, 0.1],
      [0.6, 0.12],
      [0.65, 0.3],
      [0.9, 0.05],
    ],
    [
      { domain: 'sketch', images: 50, accuracy: [0.2, 0.25, 0.45, 0.5, 0.7] },
      { domain: 'painting', images: 150, accuracy: [0.1, 0.3, 0.3, 0.2, 0.6] },
    ],
  ),
  seeded('bitfit-0', 0, 'bitfit', [
    [0.1, 0.3],
    [0.5, 0.2],
    [0.6, 0.1],
  ]),
];

/** A run's clean accuracy against its pooled domains and its robust accuracy, computed here. */
function expectedHeadline(run: SeedRun) {
  const clean = run.trajectory.map((t) => t[0]);
  return {
    pooled: run.shifted === undefined ? undefined : expectedCorrelation(clean, pooledDomains(run.shifted)),
    robust: expectedCorrelation(
      clean,
      run.trajectory.map((t) => t[1]),
    ),
  };
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('tables and exports of stored runs', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = tempDir();
    db = join(dir, 'stored.db');
    seedRuns(db, STORED);
  });
  const [lora0, lora1, bitfit] = STORED.map(expectedHeadline) as [
    ReturnType<typeof expectedHeadline>,
    ReturnType<typeof expectedHeadline>,
    ReturnType<typeof expectedHeadline>,
  ];

  it('print the mean correlations of clean accuracy with the pooled shifts and robust accuracy per entry', async () => {
    const { code, stdout } = await cli(['frontier', '--db', db], dir);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[1]).toMatch(/ ckpt rob +r shift +rho shift +r rob +rho rob$/);
    const cells = (strategy: string): string[] =>
      (lines.find((l) => l.trim().startsWith(`${strategy} `)) as string).trim().split(/\s+/).slice(-4);
    const two = (values: readonly number[]): string => mean(values).toFixed(2);
    const [p0, p1] = [lora0.pooled, lora1.pooled] as [
      ReturnType<typeof expectedCorrelation>,
      ReturnType<typeof expectedCorrelation>,
    ];
    expect(cells('lora')).toEqual([
      two([p0.pearson, p1.pearson]),
      two([p0.spearman, p1.spearman]),
      two([lora0.robust.pearson, lora1.robust.pearson]),
      two([lora0.robust.spearman, lora1.robust.spearman]),
    ]);
    // No shift measured: no shift correlation, not a zero.
    expect(cells('bitfit')).toEqual(['-', '-', bitfit.robust.pearson.toFixed(2), bitfit.robust.spearman.toFixed(2)]);
  });

  it("export each run's correlations as CSV and JSON", async () => {
    const table = (await cli(['export', '--what', 'correlations', '--db', db], dir)).stdout.trim().split('\n');
    expect(table[0]).toBe('run,strategy,dataset,seed,kind,label,context,pearson,spearman,steps');
    // Per lora run: pooled, two domains, robust; bitfit: robust only.
    expect(table).toHaveLength(1 + 4 + 4 + 1);
    const pooledRow = table.find((l) => l.startsWith('lora-0,') && l.includes(',pooled,')) as string;
    const [, , , , kind, label, context, pearson, spearman, steps] = pooledRow.split(',');
    expect([kind, label, context, steps]).toEqual(['pooled', 'all shifts', '', '4']);
    expect(Number(pearson)).toBeCloseTo(lora0.pooled?.pearson as number, 12);
    expect(Number(spearman)).toBeCloseTo(lora0.pooled?.spearman as number, 12);

    const perRun = JSON.parse(
      (await cli(['export', '--what', 'correlations', '--format', 'json', '--db', db], dir)).stdout,
    ) as {
      id: string;
      seed: number;
      correlations: {
        kind: string;
        label: string;
        context: Record<string, unknown> | null;
        pearson: number | null;
        steps: number;
      }[];
    }[];
    const bitfitRun = perRun.find((r) => r.id === 'bitfit-0');
    expect(bitfitRun?.correlations.map((c) => [c.kind, c.label, c.context, c.steps])).toEqual([
      ['robust', 'pgd Linf eps 1/255', { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 }, 3],
    ]);
    expect(bitfitRun?.correlations[0]?.pearson).toBeCloseTo(bitfit.robust.pearson, 12);
  });

  it('export the leaderboard document: one entry per board entry, byte-identical twice, without server paths', async () => {
    const first = await cliProcess(['export', '--what', 'leaderboard', '--db', db], dir);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const again = await cliProcess(['export', '--what', 'leaderboard', '--format', 'json', '--db', db], dir);
    expect(again.stdout).toBe(first.stdout);
    expect(first.stdout).not.toContain('/srv/private');

    interface DocumentEntry {
      [field: string]: unknown;
      id: string;
      rank: number;
      name: string;
      runIds: string[];
      aupf: { mean: number; std: number | null; ci95: { low: number; high: number } | null };
      protocol: { dataset: { config: { dir: string } } };
      correlations: Record<'pooledShifts' | 'robust', { pearson: number; spearman: number; runs: number } | null> & {
        all: unknown[];
      };
    }
    const document = JSON.parse(first.stdout) as { format: string; entries: DocumentEntry[] };
    expect(document.format).toBe('paretune-leaderboard/1');
    expect(document.entries.map((e) => e.rank)).toEqual([1, 2]);
    for (const entry of document.entries) expect(Object.keys(entry)).toEqual(Object.keys(entry).sort());
    const lora = document.entries.find((e) => e.name === 'lora') as DocumentEntry;
    expect(lora).toMatchObject({
      strategy: 'lora',
      dataset: 'mnist-like',
      model: 'vit-micro-28',
      threatModel: 'Linf',
      eps: '1/255',
      epsValue: 1 / 255,
      attack: { name: 'pgd', norm: 'Linf', eps: 1 / 255 },
      frontierBest: { cleanAccuracy: 0.9, robustAccuracy: 0.3 },
      parameters: { total: 100_000, trainable: 1000, trainablePercent: 1 },
      testSamples: 100,
      seeds: [0, 1],
      runIds: ['lora-0', 'lora-1'],
      provenance: { paretune: ['0.1.0'], plugins: ['lora@0.1.0'], backends: ['wasm'] },
    });
    // The best-validation checkpoints are the last steps: (0.8, 0.25) and (0.9, 0.05).
    expect(lora['cleanAccuracy']).toBeCloseTo(0.85, 12);
    expect(lora['robustAccuracy']).toBeCloseTo(0.15, 12);
    expect(lora.id).toMatch(/^[0-9a-f]{16}$/);
    expect(lora.protocol.dataset.config.dir).toBe('mnist-like');
    const { low, high } = lora.aupf.ci95 as { low: number; high: number };
    expect(low).toBeLessThan(lora.aupf.mean);
    expect(high).toBeGreaterThan(lora.aupf.mean);
    const [p0, p1] = [lora0.pooled?.pearson as number, lora1.pooled?.pearson as number];
    expect(lora.correlations.pooledShifts?.pearson).toBeCloseTo(mean([p0, p1]), 12);
    expect(lora.correlations.pooledShifts?.runs).toBe(2);
    expect(lora.correlations.robust?.spearman).toBeCloseTo(mean([lora0.robust.spearman, lora1.robust.spearman]), 12);
    expect(lora.correlations.all).toHaveLength(4);
    const single = document.entries.find((e) => e.name === 'bitfit') as DocumentEntry;
    expect([single.aupf.std, single.aupf.ci95, single.correlations.pooledShifts]).toEqual([null, null, null]);
    expect(single.id).not.toBe(lora.id);

    const refused = await cliProcess(['export', '--what', 'leaderboard', '--format', 'csv', '--db', db], dir);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toEqual([
      "paretune: --format: the leaderboard export is JSON only (its entries nest the protocol and correlations); use '--format json'",
    ]);
  });
});
