import { describe, expect, it } from 'vitest';
import { meanCorrelations, runCorrelations } from '../../src/core/analysis/correlations.js';
import type { RunCorrelation } from '../../src/core/analysis/correlations.js';
import type { MetricContext } from '../../src/core/contracts/metric.js';
import type { MeasuredPoint } from '../../src/core/evaluation/evaluator.js';

const CLEAN = { split: 'test' };
const FOG = { split: 'test', shift: 'corruptions', variant: 'fog', severity: 3 };
const CONTRAST = { split: 'test', shift: 'corruptions', variant: 'contrast', severity: 5 };
const PGD = { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 };

/** Accuracy points of one context at steps 0, 10, 20, ... (null: not measured at that step). */
const series = (context: MetricContext, values: readonly (number | null)[], count = 100): MeasuredPoint[] =>
  values.flatMap((value, i) =>
    value === null ? [] : [{ step: i * 10, epoch: 0, name: 'accuracy', context, value, count, seconds: 0.1 }],
  );

const byLabel = (correlations: readonly RunCorrelation[], label: string): RunCorrelation | undefined =>
  correlations.find((c) => c.label === label);

// Expected values from scipy.stats.pearsonr and spearmanr (SciPy 1.17.1) on the same series.
describe('run correlations', () => {
  const clean = [0.2, 0.5, 0.6, 0.6, 0.8];
  const points = [
    ...series(CLEAN, clean),
    ...series(FOG, [0.1, 0.3, 0.4, 0.4, 0.5]),
    ...series(CONTRAST, [0.15, 0.2, 0.2, 0.3, null]),
    // The evaluator's own pool of one shift, the best-checkpoint pass and other metrics are not series of their own.
    ...series({ split: 'test', shift: 'corruptions' }, [0.125, 0.25, 0.3, 0.35, 0.5]),
    ...series({ ...FOG, checkpoint: 'best', bestStep: 40 }, [0.9]),
    ...series(PGD, [0.05, 0.1, 0.1, 0.1, 0.1]),
    ...series({ ...PGD, eps: 2 / 255 }, [0.01, Number.NaN, 0.02, null, null]),
  ];
  const correlations = runCorrelations(points);

  it('correlate clean accuracy with each corruption, all shifts pooled and each threat model, in a stable order', () => {
    expect(correlations.map((c) => [c.kind, c.label])).toEqual([
      ['pooled', 'all shifts'],
      ['shift', 'corruptions contrast/5'],
      ['shift', 'corruptions fog/3'],
      ['robust', 'pgd Linf eps 1/255'],
      ['robust', 'pgd Linf eps 2/255'],
    ]);
    expect(byLabel(correlations, 'corruptions fog/3')?.context).toEqual(FOG);
    expect(byLabel(correlations, 'all shifts')?.context).toBeNull();
  });

  it('give Pearson r and Spearman with tied values at their average ranks, over the steps both series have', () => {
    const fog = byLabel(correlations, 'corruptions fog/3');
    expect(fog?.steps).toBe(5);
    expect(fog?.pearson).toBeCloseTo(0.9931832879575957, 12);
    expect(fog?.spearman).toBeCloseTo(1, 12);
    const contrast = byLabel(correlations, 'corruptions contrast/5');
    expect(contrast?.steps).toBe(4); // its step 40 is missing
    expect(contrast?.pearson).toBeCloseTo(0.7346969999683856, 12);
    expect(contrast?.spearman).toBeCloseTo(0.8333333333333335, 12);
    const pgd = byLabel(correlations, 'pgd Linf eps 1/255');
    expect(pgd?.pearson).toBeCloseTo(0.8675276172357085, 12);
    expect(pgd?.spearman).toBeCloseTo(0.7254762501100117, 12);
  });

  it('pool the shifts at the steps where every shifted series was measured', () => {
    const pooled = byLabel(correlations, 'all shifts');
    expect(pooled?.steps).toBe(4);
    expect(pooled?.pearson).toBeCloseTo(0.9688536560192479, 12);
    expect(pooled?.spearman).toBeCloseTo(0.9486832980505139, 12);
  });

  it('weight each domain by its images in the pool', () => {
    const c4 = clean.slice(0, 4);
    const domains = runCorrelations([
      ...series(CLEAN, c4),
      ...series({ split: 'sketch/test', shift: 'domains', domain: 'sketch' }, [0.3, 0.2, 0.5, 0.4], 100),
      ...series({ split: 'painting/test', shift: 'domains', domain: 'painting' }, [0.1, 0.4, 0.2, 0.6], 300),
    ]);
    expect(domains.map((c) => c.label)).toEqual(['all shifts', 'domains painting', 'domains sketch']);
    // Weighted: (100 sketch + 300 painting) / 400 per step; the unweighted mean would give r = 0.8276.
    expect(domains[0]?.pearson).toBeCloseTo(0.742249362221463, 12);
    expect(domains[0]?.spearman).toBeCloseTo(0.632455532033676, 12);
  });

  it('are null, never 0 or NaN, with fewer than 3 common steps or a constant series', () => {
    // eps 2/255: step 10 is NaN (missing), steps 30 and 40 were not measured: 2 common steps.
    expect(byLabel(correlations, 'pgd Linf eps 2/255')).toMatchObject({ pearson: null, spearman: null, steps: 2 });
    const constant = runCorrelations([...series(CLEAN, clean), ...series(PGD, [0.1, 0.1, 0.1, 0.1, 0.1])]);
    expect(constant).toEqual([
      { kind: 'robust', label: 'pgd Linf eps 1/255', context: PGD, pearson: null, spearman: null, steps: 5 },
    ]);
    expect(runCorrelations([...series(CLEAN, [0.5, 0.5, 0.5]), ...series(FOG, [0.1, 0.2, 0.3])])[0]).toMatchObject({
      pearson: null,
      spearman: null,
    });
  });

  it('are none for a run without clean test accuracy or without shifts and attacks', () => {
    expect(runCorrelations(series(FOG, [0.1, 0.2, 0.3]))).toEqual([]);
    expect(runCorrelations(series(CLEAN, [0.1, 0.2, 0.3]))).toEqual([]);
  });
});

describe('mean correlations', () => {
  const run = (pearson: number | null, spearman: number | null): RunCorrelation[] => [
    { kind: 'robust', label: 'pgd Linf eps 1/255', context: PGD, pearson, spearman, steps: pearson === null ? 2 : 5 },
  ];

  it('average over the runs where the correlation is defined and count them', () => {
    expect(meanCorrelations([run(0.5, 0.4), run(null, null), run(0.9, 1)])).toEqual([
      { kind: 'robust', label: 'pgd Linf eps 1/255', context: PGD, pearson: 0.7, spearman: 0.7, runs: 2 },
    ]);
  });

  it('are null with a count of 0 where no run has the correlation defined', () => {
    expect(meanCorrelations([run(null, null)])).toEqual([
      { kind: 'robust', label: 'pgd Linf eps 1/255', context: PGD, pearson: null, spearman: null, runs: 0 },
    ]);
  });
});
