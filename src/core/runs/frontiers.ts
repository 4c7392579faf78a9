import type { MetricContext } from '../contracts/metric.js';
import { canonicalJson } from '../evaluation/context.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { paretoFrontier } from '../frontier/pareto.js';
import type { FrontierResult, Objective } from '../frontier/pareto.js';
import type { RunRecord } from '../store/store.js';

/** Which robust accuracy a frontier uses: unset fields match any threat model (the first one measured). */
export interface ThreatSelector {
  readonly attack?: string;
  readonly norm?: string;
  readonly eps?: number;
}

const CLEAN: MetricContext = { split: 'test' };

/** Whether a point is a test robust accuracy under the selected threat model, on the logged trajectory. */
function isRobust(point: MeasuredPoint, threat: ThreatSelector): boolean {
  const c = point.context;
  return (
    point.name === 'accuracy' &&
    c['split'] === 'test' &&
    c['attack'] !== undefined &&
    c['checkpoint'] === undefined &&
    c['variant'] === undefined &&
    (threat.attack === undefined || c['attack'] === threat.attack) &&
    (threat.norm === undefined || c['norm'] === threat.norm) &&
    (threat.eps === undefined || Math.abs(Number(c['eps']) - threat.eps) <= 1e-9 * Math.max(1, threat.eps))
  );
}

/** A (test accuracy, robust accuracy) objective pair with contexts in canonical form. */
export function accuracyObjectives(robust: MetricContext): [Objective, Objective] {
  return [
    { metric: 'accuracy', context: canonicalJson(CLEAN), sense: 'max' },
    { metric: 'accuracy', context: canonicalJson(robust), sense: 'max' },
  ];
}

interface StoredFrontier {
  frontier?: { definition: { objectives: [Objective, Objective] } };
}

/**
 * The objectives of a run's frontier: without a selector, the ones the run's own frontier used (the first attack's
 * first threat model); with one, test accuracy against the selected robust accuracy. Undefined when the run
 * measured no such robust accuracy.
 */
export function runObjectives(
  run: RunRecord,
  points: readonly MeasuredPoint[],
  threat?: ThreatSelector,
): [Objective, Objective] | undefined {
  if (threat === undefined) {
    const objectives = (run.result as StoredFrontier | null)?.frontier?.definition.objectives;
    return objectives?.map((o) => ({
      ...o,
      context: o.context === undefined ? undefined : canonicalJson(JSON.parse(o.context) as MetricContext),
    })) as [Objective, Objective] | undefined;
  }
  const robust = points.find((p) => isRobust(p, threat));
  return robust === undefined ? undefined : accuracyObjectives(robust.context);
}

/**
 * The version of the metric `name` a run measured with, from the `name@version` plugins it recorded (undefined where
 * none is recorded). Metrics are recorded last, so the last entry wins over a plugin of another family with that name.
 * Values of different versions of a metric are not comparable (e.g. accuracy before 0.2.0 counted ties as correct).
 */
export function metricVersion(run: Pick<RunRecord, 'plugins'>, name: string): string | undefined {
  return run.plugins.findLast((ref) => ref.startsWith(`${name}@`))?.slice(name.length + 1);
}

/** A readable name of a robust-accuracy context, e.g. `pgd Linf eps 8/255`. */
export function threatLabel(context: MetricContext): string {
  return `${String(context['attack'])} ${String(context['norm'] ?? '')} eps ${radiusLabel(Number(context['eps']))}`.replace(
    '  ',
    ' ',
  );
}

/** A radius as `k/255` where it is a whole number of 8-bit pixel levels, else as the number (e.g. `0.03`). */
export function radiusLabel(eps: number): string {
  const over255 = eps * 255;
  return Math.abs(over255 - Math.round(over255)) < 1e-6 ? `${Math.round(over255)}/255` : String(eps);
}

/** The frontier over a run's logged steps for two objectives (points of the final best-checkpoint pass excluded). */
export function runFrontier(
  points: readonly MeasuredPoint[],
  objectives: readonly [Objective, Objective],
): FrontierResult<{ step: number }> {
  const trajectory = points.filter((p) => p.context['checkpoint'] === undefined);
  const valueAt = (objective: Objective): Map<number, number> =>
    new Map(
      trajectory
        .filter((p) => p.name === objective.metric && canonicalJson(p.context) === objective.context)
        .map((p) => [p.step, p.value]),
    );
  const [x, y] = objectives.map(valueAt) as [Map<number, number>, Map<number, number>];
  const inputs = [...x]
    .filter(([step]) => y.has(step))
    .map(([step, value]) => ({ values: [value, y.get(step) as number] as [number, number], item: { step } }));
  return paretoFrontier(inputs, objectives);
}
