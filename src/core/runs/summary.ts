import type { MetricContext } from '../contracts/metric.js';
import { canonicalJson } from '../evaluation/context.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import type { RunRecord } from '../store/store.js';
import { runObjectives } from './frontiers.js';

/** A run's headline numbers, measured on its best-validation checkpoint (the final evaluation). */
export interface RunSummary {
  /** Test clean accuracy. */
  readonly testAccuracy?: number;
  /** Test robust accuracy under the run's frontier threat model (its first attack's first). */
  readonly robustAccuracy?: number;
  /** Pooled shifted accuracy: every corruption, or the other domains, together. */
  readonly shiftedAccuracy?: number;
  /** Area under the run's Pareto frontier over its logged steps. */
  readonly aupf?: number;
  readonly trainableParameters?: number;
  readonly trainablePercent?: number;
}

interface StoredResult {
  frontier?: { hypervolume: number };
  parameters?: { trainable: number; trainablePercent: number };
}

/** The context without the best-checkpoint markers, as stored for the logged steps. */
const trajectoryContext = (context: MetricContext): string => {
  const { checkpoint: _checkpoint, bestStep: _bestStep, ...rest } = context;
  return canonicalJson(rest);
};

/** The summary of a run from its stored result and the points of its best-checkpoint evaluation. */
export function summariseRun(run: RunRecord, finalPoints: readonly MeasuredPoint[]): RunSummary {
  const result = (run.result ?? {}) as StoredResult;
  const accuracy = finalPoints.filter((p) => p.name === 'accuracy');
  const valueOf = (context: string | undefined): number | undefined =>
    accuracy.find((p) => trajectoryContext(p.context) === context)?.value;
  const robust = runObjectives(run, [])?.[1].context;
  const shifted = accuracy.find(
    (p) => p.context['shift'] !== undefined && p.context['variant'] === undefined && p.context['domain'] === undefined,
  );
  const summary = {
    testAccuracy: valueOf(canonicalJson({ split: 'test' })),
    robustAccuracy: robust === undefined ? undefined : valueOf(robust),
    shiftedAccuracy: shifted?.value,
    aupf: result.frontier?.hypervolume,
    trainableParameters: result.parameters?.trainable,
    trainablePercent: result.parameters?.trainablePercent,
  };
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined));
}
