import type {
  AggregateMetricPlugin,
  MetricContext,
  MetricPlugin,
  MetricPoint,
  PointMetricPlugin,
  PredictionSet,
} from '../core/contracts/metric.js';
import { Rng } from '../core/tensor/rng.js';
import { FindingList, parsedConfig } from './findings.js';
import type { Finding } from './findings.js';

export interface MetricCheckOptions {
  /** The metric's config (validated against its schema first); default `{}`. */
  readonly config?: unknown;
  /** The values the metric can take, inclusive; default `[0, 1]`. */
  readonly range?: readonly [number, number];
}

/**
 * Checks a metric against its contract. Rules: `definition`, `config`, `range` (on random, all-correct and all-wrong
 * predictions, or on sample stored points, a finite value within `range`; aggregate metrics may return NaN),
 * `empty-input` (NaN for no images or no points, without throwing) and `deterministic` (the same input, the same
 * value).
 */
export async function checkMetric(plugin: MetricPlugin, options: MetricCheckOptions = {}): Promise<Finding[]> {
  const list = new FindingList(plugin);
  const parsed = await parsedConfig(plugin, options.config, list);
  if (parsed === undefined) return list.findings;
  const [low, high] = options.range ?? [0, 1];
  const evaluate = plugin.kind === 'point' ? pointCases(plugin, parsed.value) : aggregateCases(plugin, parsed.value);
  for (const { name, value: compute, mayBeNaN } of evaluate.cases) {
    const value = await list.guard('range', compute);
    if (value === undefined) continue;
    const acceptable = (mayBeNaN && Number.isNaN(value)) || (Number.isFinite(value) && value >= low && value <= high);
    if (!acceptable) list.add('range', `on ${name} it returned ${value}, outside [${low}, ${high}]`);
    const again = await list.guard('deterministic', compute);
    if (again !== undefined && !Object.is(again, value))
      list.add('deterministic', `on ${name} it returned ${value}, then ${again}`);
  }
  const empty = await list.guard('empty-input', evaluate.empty);
  if (empty !== undefined && !Number.isNaN(empty))
    list.add('empty-input', `on ${evaluate.emptyName} it returned ${empty}, not NaN`);
  return list.findings;
}

interface MetricCases {
  readonly cases: readonly { readonly name: string; readonly value: () => number; readonly mayBeNaN: boolean }[];
  readonly empty: () => number;
  readonly emptyName: string;
}

const COUNT = 24;
const CLASSES = 4;

function pointCases(plugin: PointMetricPlugin, config: unknown): MetricCases {
  const rng = Rng.fromSeed(7);
  const labels = Int32Array.from({ length: COUNT }, (_, i) => i % CLASSES);
  const predictions = (logits: Float32Array, count = COUNT): PredictionSet => ({
    logits,
    labels: labels.subarray(0, count),
    count,
    numClasses: CLASSES,
    context: { split: 'test' },
  });
  /** Logits whose largest entry is the class `pick(i)` for image i. */
  const peaked = (pick: (i: number) => number): Float32Array =>
    Float32Array.from({ length: COUNT * CLASSES }, (_, k) => (k % CLASSES === pick(Math.floor(k / CLASSES)) ? 3 : 0));
  const random = rng.normalArray(COUNT * CLASSES, 0, 2);
  const compute = (set: PredictionSet) => (): number => plugin.compute(set, config);
  return {
    cases: [
      { name: 'random predictions', value: compute(predictions(random)), mayBeNaN: false },
      { name: 'all-correct predictions', value: compute(predictions(peaked((i) => i % CLASSES))), mayBeNaN: false },
      { name: 'all-wrong predictions', value: compute(predictions(peaked((i) => (i + 1) % CLASSES))), mayBeNaN: false },
    ],
    empty: compute(predictions(new Float32Array(0), 0)),
    emptyName: 'no images (count 0)',
  };
}

function aggregateCases(plugin: AggregateMetricPlugin, config: unknown): MetricCases {
  const rng = Rng.fromSeed(7);
  const points: MetricPoint[] = ['run-a', 'run-b', 'run-c'].flatMap((runId) =>
    [0, 10, 20].flatMap((step) =>
      ([{ split: 'test' }, { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 }] as MetricContext[]).map(
        (context) => ({
          runId,
          step,
          name: 'accuracy',
          context,
          value: rng.float(),
        }),
      ),
    ),
  );
  return {
    cases: [
      { name: 'sample accuracy points of three runs', value: () => plugin.aggregate(points, config), mayBeNaN: true },
    ],
    empty: () => plugin.aggregate([], config),
    emptyName: 'no points',
  };
}
