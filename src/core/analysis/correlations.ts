import type { MetricContext } from '../contracts/metric.js';
import { canonicalJson } from '../evaluation/context.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { pearson, spearman } from '../frontier/correlation.js';
import { threatLabel } from '../runs/frontiers.js';

/**
 * What clean test accuracy is correlated with: `shift`, the accuracy under one corruption at one severity or on one
 * other domain; `pooled`, the accuracy over every shifted image of the step (see pooledShifts); `robust`, the robust
 * accuracy under one threat model.
 */
export type CorrelationKind = 'shift' | 'pooled' | 'robust';

/** The fewest common steps a correlation is computed from. */
export const MIN_CORRELATION_STEPS = 3;

/** Pearson and Spearman correlation over the logged steps two series share; null when it is not defined. */
export interface Correlation {
  /** Null with fewer than MIN_CORRELATION_STEPS common steps or a constant series. */
  readonly pearson: number | null;
  /** Spearman's rank correlation, tied values sharing their average rank; null where pearson is. */
  readonly spearman: number | null;
  /** Logged evaluation steps with both values (the sample). */
  readonly steps: number;
}

/** The series a correlation is about, e.g. `corruptions fog/3`, `domains sketch`, `all shifts`, `pgd Linf eps 8/255`. */
export interface CorrelationTarget {
  readonly kind: CorrelationKind;
  readonly label: string;
  /** The accuracy's stored context; null for the pooled shifts, which are computed. */
  readonly context: MetricContext | null;
}

/** Clean test accuracy against one series, over one run's logged evaluation steps. */
export type RunCorrelation = CorrelationTarget & Correlation;

/** A correlation's mean over the runs where it is defined. */
export interface MeanCorrelation extends CorrelationTarget {
  readonly pearson: number | null;
  readonly spearman: number | null;
  /** Runs whose correlation is defined (the mean's sample); 0 with null means. */
  readonly runs: number;
}

/** A step's value of a series. */
type Series = Map<number, number>;

/** Correlation over the steps both series have (non-finite values count as missing). */
export function correlate(x: Series, y: Series): Correlation {
  const steps = [...x.keys()].filter((step) => y.has(step)).sort((a, b) => a - b);
  const xs = steps.map((step) => x.get(step) as number);
  const ys = steps.map((step) => y.get(step) as number);
  if (steps.length < MIN_CORRELATION_STEPS) return { pearson: null, spearman: null, steps: steps.length };
  const r = pearson(xs, ys);
  return Number.isNaN(r)
    ? { pearson: null, spearman: null, steps: steps.length }
    : { pearson: r, spearman: spearman(xs, ys), steps: steps.length };
}

/** One accuracy context over a run's logged steps. */
interface LoggedSeries {
  readonly context: MetricContext;
  readonly values: Series;
  /** Images per step, for pooling. */
  readonly counts: Series;
}

/** The series' target, or undefined for accuracy that is neither shifted nor robust test accuracy. */
function targetOf(context: MetricContext): CorrelationTarget | undefined {
  const { shift, variant, severity, domain, attack } = context;
  if (shift !== undefined) {
    if (variant === undefined && domain === undefined) return undefined; // the evaluator's own per-shift pool
    const name = domain ?? `${String(variant)}${severity === undefined ? '' : `/${String(severity)}`}`;
    return { kind: 'shift', label: `${String(shift)} ${String(name)}`, context };
  }
  if (attack !== undefined && context['split'] === 'test')
    return { kind: 'robust', label: threatLabel(context), context };
  return undefined;
}

/** The accuracy series of a run's logged steps (best-checkpoint points and non-finite values left out), by context. */
function loggedSeries(points: readonly MeasuredPoint[]): Map<string, LoggedSeries> {
  const series = new Map<string, LoggedSeries>();
  for (const p of points) {
    if (p.name !== 'accuracy' || p.context['checkpoint'] !== undefined || !Number.isFinite(p.value)) continue;
    const key = canonicalJson(p.context);
    const entry = series.get(key) ?? { context: p.context, values: new Map(), counts: new Map() };
    entry.values.set(p.step, p.value);
    entry.counts.set(p.step, p.count);
    series.set(key, entry);
  }
  return series;
}

/**
 * All shifts pooled: at each step, the accuracy over every shifted image measured there (every corruption at every
 * severity and every domain, each weighted by its images), as the evaluator pools one shift's variants. A step that
 * lacks any of the run's shifted series is left out, so every pooled value covers the same variants.
 */
function pooledShifts(shifted: readonly Pick<LoggedSeries, 'values' | 'counts'>[]): Series {
  const pooled: Series = new Map();
  const first = shifted[0];
  if (first === undefined) return pooled;
  for (const step of first.values.keys()) {
    if (!shifted.every((s) => s.values.has(step))) continue;
    const images = shifted.reduce((sum, s) => sum + (s.counts.get(step) as number), 0);
    const correct = shifted.reduce(
      (sum, s) => sum + (s.values.get(step) as number) * (s.counts.get(step) as number),
      0,
    );
    pooled.set(step, correct / images);
  }
  return pooled;
}

/** Shifts by shift, variant, severity, domain; robust accuracies by attack, norm, radius. */
function compareTargets(a: CorrelationTarget, b: CorrelationTarget): number {
  const order: Record<CorrelationKind, number> = { pooled: 0, shift: 1, robust: 2 };
  if (a.kind !== b.kind) return order[a.kind] - order[b.kind];
  const ca = a.context ?? {};
  const cb = b.context ?? {};
  for (const key of ['shift', 'variant', 'severity', 'domain', 'attack', 'norm', 'eps']) {
    const [x, y] = [ca[key], cb[key]];
    if (x === y) continue;
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  }
  return 0;
}

/**
 * Pearson and Spearman correlation, over a run's logged evaluation steps, of clean test accuracy with each shifted
 * accuracy (every corruption at each severity, every domain), with all shifts pooled, and with the robust accuracy
 * of each threat model. Steps where either value is missing are left out.
 */
export function runCorrelations(points: readonly MeasuredPoint[]): RunCorrelation[] {
  const series = loggedSeries(points);
  const clean = series.get(canonicalJson({ split: 'test' }))?.values;
  if (clean === undefined) return [];
  const measured = [...series.values()].flatMap((s) => {
    const target = targetOf(s.context);
    return target === undefined ? [] : [{ target, values: s.values, counts: s.counts }];
  });
  const shifted = measured.filter((s) => s.target.kind === 'shift');
  const targets: { target: CorrelationTarget; values: Series }[] = [
    ...(shifted.length === 0
      ? []
      : [{ target: { kind: 'pooled' as const, label: 'all shifts', context: null }, values: pooledShifts(shifted) }]),
    ...measured,
  ];
  return targets
    .sort((a, b) => compareTargets(a.target, b.target))
    .map(({ target, values }) => ({ ...target, ...correlate(clean, values) }));
}

const meanOf = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

/** The mean of each correlation over the runs that have it defined, in runCorrelations' order. */
export function meanCorrelations(perRun: readonly (readonly RunCorrelation[])[]): MeanCorrelation[] {
  const byTarget = new Map<string, { target: CorrelationTarget; defined: RunCorrelation[] }>();
  for (const correlation of perRun.flat()) {
    const { kind, label, context } = correlation;
    const key = `${kind}\u0000${context === null ? '' : canonicalJson(context)}`;
    const entry = byTarget.get(key) ?? { target: { kind, label, context }, defined: [] };
    if (correlation.pearson !== null) entry.defined.push(correlation);
    byTarget.set(key, entry);
  }
  return [...byTarget.values()]
    .sort((a, b) => compareTargets(a.target, b.target))
    .map(({ target, defined }) => ({
      ...target,
      pearson: meanOf(defined.map((c) => c.pearson as number)),
      spearman: meanOf(defined.map((c) => c.spearman as number)),
      runs: defined.length,
    }));
}
