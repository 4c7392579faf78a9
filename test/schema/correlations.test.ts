import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectedCorrelation,
  gql,
  graphqlBlocks,
  pooledDomains,
  seedRuns,
  startServer,
  tempDir,
} from '../helpers/index.js';
import type { SeedRun, ServerProcess, ShiftedSeries } from '../helpers/index.js';

const shifted = (sketch: (number | null)[], painting: (number | null)[]): ShiftedSeries[] => [
  { domain: 'sketch', images: 50, accuracy: sketch },
  { domain: 'painting', images: 150, accuracy: painting },
];

/** Three seeds of one setting: two with five logged steps (one with a step lacking a domain), one with two steps. */
const SEEDS: Pick<SeedRun, 'id' | 'seed' | 'trajectory' | 'shifted'>[] = [
  {
    id: 'corr-a',
    seed: 0,
    trajectory: [
      [0.2, 0.1],
      [0.4, 0.15],
      [0.5, 0.3],
      [0.7, 0.2],
      [0.8, 0.25],
    ],
    shifted: shifted([0.15, 0.3, 0.3, 0.5, 0.6], [0.1, 0.2, null, 0.4, 0.5]),
  },
  {
    id: 'corr-b',
    seed: 1,
    trajectory: [
      [0.3, 0.2],
      [0.35, 0.1],
      [0.6, 0.12],
      [0.65, 0.3],
      [0.9, 0.05],
    ],
    shifted: shifted([0.2, 0.25, 0.45, 0.5, 0.7], [0.1, 0.3, 0.3, 0.2, 0.6]),
  },
  {
    id: 'corr-short',
    seed: 2,
    trajectory: [
      [0.2, 0.1],
      [0.4, 0.2],
    ],
    shifted: shifted([0.1, 0.2], [0.1, 0.3]),
  },
];
const RUNS: SeedRun[] = SEEDS.map((run) => ({ ...run, strategy: 'lora', dataset: 'mnist-like', tags: [] }));

/** Every correlation a run should answer, in the API's order: pooled, each domain by name, then robust. */
function expectedOf(run: SeedRun) {
  const clean = run.trajectory.map((t) => t[0]);
  const series = run.shifted as ShiftedSeries[];
  const domain = (name: string): ShiftedSeries => series.find((s) => s.domain === name) as ShiftedSeries;
  return [
    { kind: 'POOLED', label: 'all shifts', ...expectedCorrelation(clean, pooledDomains(series)) },
    { kind: 'SHIFT', label: 'domains painting', ...expectedCorrelation(clean, domain('painting').accuracy) },
    { kind: 'SHIFT', label: 'domains sketch', ...expectedCorrelation(clean, domain('sketch').accuracy) },
    {
      kind: 'ROBUST',
      label: 'pgd Linf eps 1/255',
      ...expectedCorrelation(
        clean,
        run.trajectory.map((t) => t[1]),
      ),
    },
  ];
}

interface Correlation {
  kind: string;
  label: string;
  context: Record<string, unknown> | null;
  pearson: number | null;
  spearman: number | null;
  steps: number;
}
interface MeanCorrelation {
  kind: string;
  label: string;
  pearson: number | null;
  spearman: number | null;
  runs: number;
}

const FIELDS = 'kind label context pearson spearman steps';

let server: ServerProcess;

beforeAll(async () => {
  const db = join(tempDir(), 'correlations.db');
  seedRuns(db, RUNS);
  server = await startServer(['serve', '--port', '0', '--db', db]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const correlationsOf = async (id: string, kind?: string): Promise<Correlation[]> => {
  const response = await gql<{ run: { correlations: Correlation[] } }>(
    server.url,
    `query ($id: ID!) { run(id: $id) { correlations${kind === undefined ? '' : `(kind: ${kind})`} { ${FIELDS} } } }`,
    { id },
  );
  expect(response.errors).toBeUndefined();
  return response.data?.run.correlations ?? [];
};

describe('correlations of clean with shifted and robust accuracy over HTTP', () => {
  it("answer each run's Pearson and Spearman over the steps both series have", async () => {
    for (const run of RUNS.slice(0, 2)) {
      const answered = await correlationsOf(run.id);
      const wanted = expectedOf(run);
      expect(answered.map((c) => [c.kind, c.label, c.steps])).toEqual(wanted.map((c) => [c.kind, c.label, c.steps]));
      answered.forEach((c, i) => {
        expect(c.pearson).toBeCloseTo(wanted[i]?.pearson as number, 12);
        expect(c.spearman).toBeCloseTo(wanted[i]?.spearman as number, 12);
      });
    }
    // The step where painting was not measured is left out of painting and of the pool.
    expect((await correlationsOf('corr-a', 'POOLED')).map((c) => [c.steps, c.context])).toEqual([[4, null]]);
    expect((await correlationsOf('corr-a', 'ROBUST')).map((c) => c.context)).toEqual([
      { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 },
    ]);
    expect((await correlationsOf('corr-a', 'SHIFT')).map((c) => c.context)).toEqual([
      { split: 'painting/test', shift: 'domains', domain: 'painting' },
      { split: 'sketch/test', shift: 'domains', domain: 'sketch' },
    ]);
  });

  it('answer null, with the step count, for a run with fewer than 3 common steps', async () => {
    const short = await correlationsOf('corr-short');
    expect(short).toHaveLength(4);
    for (const c of short) expect([c.pearson, c.spearman, c.steps]).toEqual([null, null, 2]);
  });

  it('answer the query docs/graphql.md shows, as written', async () => {
    const documented = graphqlBlocks('docs/graphql.md').find((b) => b.text.startsWith('query Correlations('));
    const response = await gql<{ run: { correlations: Correlation[]; pooled: unknown[]; robust: unknown[] } }>(
      server.url,
      documented?.text ?? '',
      { id: 'corr-a' },
    );
    expect(response.errors).toBeUndefined();
    const all = await correlationsOf('corr-a');
    expect(response.data?.run.correlations).toEqual(all);
    expect(response.data?.run.pooled).toHaveLength(1);
    expect(response.data?.run.robust).toHaveLength(1);
  });

  it("average each correlation over a leaderboard entry's runs where it is defined", async () => {
    const response = await gql<{ leaderboard: { entries: { runIds: string[]; correlations: MeanCorrelation[] }[] }[] }>(
      server.url,
      '{ leaderboard(dataset: "mnist-like") { entries { runIds correlations { kind label pearson spearman runs } } } }',
    );
    expect(response.errors).toBeUndefined();
    const entries = (response.data?.leaderboard ?? []).flatMap((b) => b.entries);
    expect(entries.map((e) => [...e.runIds].sort())).toEqual([['corr-a', 'corr-b', 'corr-short']]);
    const [a, b] = [expectedOf(RUNS[0] as SeedRun), expectedOf(RUNS[1] as SeedRun)];
    const means = entries[0]?.correlations ?? [];
    expect(means.map((m) => [m.kind, m.label, m.runs])).toEqual(a.map((c) => [c.kind, c.label, 2]));
    means.forEach((m, i) => {
      expect(m.pearson).toBeCloseTo(((a[i]?.pearson as number) + (b[i]?.pearson as number)) / 2, 12);
      expect(m.spearman).toBeCloseTo(((a[i]?.spearman as number) + (b[i]?.spearman as number)) / 2, 12);
    });
  });
});
