import type { PluginBase } from './plugin.js';

/**
 * Where a metric value was measured: split, attack and eps, shift and severity, domain. Keys and values
 * are free-form but stable, e.g. `{ split: 'test', attack: 'pgd', eps: 0.00392 }`.
 */
export type MetricContext = Readonly<Record<string, string | number>>;

/** Predictions of one evaluation pass over a fixed subset. */
export interface PredictionSet {
  /** Logits, row-major `[count, numClasses]`. */
  readonly logits: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly numClasses: number;
  readonly context: MetricContext;
}

/** A stored measurement, as aggregate metrics read it. */
export interface MetricPoint {
  readonly runId: string;
  readonly step: number;
  readonly name: string;
  readonly context: MetricContext;
  readonly value: number;
}

/** A metric computed at every evaluation point from predictions (accuracy, calibration error, ...). */
export interface PointMetricPlugin<C = unknown> extends PluginBase<'metric', C> {
  readonly kind: 'point';
  compute(predictions: PredictionSet, config: C): number;
}

/** A metric over stored points of one or more runs (AUPF, above-average, correlations). */
export interface AggregateMetricPlugin<C = unknown> extends PluginBase<'metric', C> {
  readonly kind: 'aggregate';
  aggregate(points: readonly MetricPoint[], config: C): number;
}

export type MetricPlugin<C = unknown> = PointMetricPlugin<C> | AggregateMetricPlugin<C>;
