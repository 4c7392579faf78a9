import type { MetricContext } from '../contracts/metric.js';

/** A metric context as JSON with sorted keys: the same context always gives the same text (stored and compared). */
export function canonicalJson(value: MetricContext): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
