import type { AttackPlugin } from '../contracts/attack.js';
import type { PointMetricPlugin } from '../contracts/metric.js';
import type { PixelShiftPlugin } from '../contracts/shift.js';
import type { Configured, EvaluationPlan, EvaluationSet } from '../evaluation/evaluator.js';
import type { Rng } from '../tensor/rng.js';
import type { ResolvedPlugin } from './spec.js';

/** The measurements a run or an evaluation asks for. */
export interface Measurements {
  readonly attacks: readonly ResolvedPlugin<'attack'>[];
  readonly shifts: readonly ResolvedPlugin<'shift'>[];
  readonly metrics: readonly ResolvedPlugin<'metric'>[];
}

/**
 * An evaluation plan over fixed sets: every attack, the pixel shifts (dataset-provided split shifts are
 * evaluation sets of their own) and the point metrics (aggregate metrics work on stored points instead).
 */
export function evaluationPlan(
  measurements: Measurements,
  sets: readonly EvaluationSet[],
  batchSize: number,
  rng: Rng,
  microBatch?: number,
): EvaluationPlan {
  return {
    sets,
    attacks: measurements.attacks as Configured<AttackPlugin>[],
    shifts: measurements.shifts.filter((s) => s.plugin.kind === 'pixel') as Configured<PixelShiftPlugin>[],
    metrics: measurements.metrics.filter((m) => m.plugin.kind === 'point') as Configured<PointMetricPlugin>[],
    batchSize,
    ...(microBatch === undefined ? {} : { microBatch }),
    rng,
  };
}
