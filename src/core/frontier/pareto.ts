/**
 * Pareto frontiers and their 2-D hypervolume (the study's AUPF), as pure functions.
 *
 * AUPF (protocol.md §7): points (a, r) = (clean accuracy, robust accuracy); the frontier is the set of points
 * no other point dominates; the area is the 2-D hypervolume of the frontier against a reference point, (0, 0)
 * by default: sort the frontier by a ascending and sum (a_j - a_{j-1}) * (r_j - ref_r) with a_0 = ref_a. Both
 * objectives are maximised by default; a minimised objective is negated (with its reference value) first.
 */

export type Sense = 'max' | 'min';

/** One objective: a metric, the context it was measured in (JSON of the metric context), and its sense. */
export interface Objective {
  readonly metric: string;
  readonly context?: string;
  readonly sense: Sense;
}

/** The definition stored with every frontier result, so numbers from different definitions never mix silently. */
export interface FrontierDefinition {
  readonly name: 'hypervolume-2d';
  readonly description: string;
  readonly objectives: readonly [Objective, Objective];
  readonly referencePoint: readonly [number, number];
}

export const AUPF_DEFINITION_TEXT =
  '2-D hypervolume of the Pareto frontier against the reference point: frontier sorted by the first objective ascending, ' +
  'sum of (x_j - x_{j-1}) * (y_j - ref_y) with x_0 = ref_x; minimised objectives are negated first';

/** A point to compare: its two objective values and whatever identifies it (run, step). */
export interface FrontierInput<T = unknown> {
  readonly values: readonly [number, number];
  readonly item: T;
}

export interface FrontierPoint<T = unknown> extends FrontierInput<T> {
  /** Hypervolume lost if this point alone were removed (0 for a duplicate). */
  readonly contribution: number;
}

export interface FrontierResult<T = unknown> {
  readonly definition: FrontierDefinition;
  /** Non-dominated points, sorted by the first objective ascending (in its own sense). */
  readonly points: readonly FrontierPoint<T>[];
  readonly hypervolume: number;
}

const oriented = (values: readonly [number, number], senses: readonly [Sense, Sense]): [number, number] => [
  senses[0] === 'max' ? values[0] : -values[0],
  senses[1] === 'max' ? values[1] : -values[1],
];

/** q dominates p (both maximised): at least as good in both, strictly better in one. */
const dominates = (q: readonly [number, number], p: readonly [number, number]): boolean =>
  q[0] >= p[0] && q[1] >= p[1] && (q[0] > p[0] || q[1] > p[1]);

/** Indices of the points no other point dominates (maximising both coordinates). NaN points never qualify. */
export function nonDominated(points: readonly (readonly [number, number])[]): number[] {
  const valid = points.map((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  return points.flatMap((p, i) => (valid[i] && !points.some((q, j) => valid[j] && dominates(q, p)) ? [i] : []));
}

/** Hypervolume of maximised points against `reference`; points not above the reference add nothing. */
export function hypervolume2d(
  points: readonly (readonly [number, number])[],
  reference: readonly [number, number] = [0, 0],
): number {
  const front = nonDominated(points)
    .map((i) => points[i] as readonly [number, number])
    .filter((p) => p[0] > reference[0] && p[1] > reference[1])
    .sort((p, q) => p[0] - q[0] || q[1] - p[1]);
  let area = 0;
  let previous = reference[0];
  for (const [x, y] of front) {
    area += (x - previous) * (y - reference[1]);
    previous = x;
  }
  return area;
}

/**
 * The Pareto frontier of `inputs` with its hypervolume and each frontier point's exclusive contribution.
 * @param objectives - the two objectives (their senses orient the values); recorded in the result.
 */
export function paretoFrontier<T>(
  inputs: readonly FrontierInput<T>[],
  objectives: readonly [Objective, Objective],
  referencePoint: readonly [number, number] = [0, 0],
): FrontierResult<T> {
  const senses: [Sense, Sense] = [objectives[0].sense, objectives[1].sense];
  const points = inputs.map((p) => oriented(p.values, senses));
  const reference = oriented(referencePoint, senses);
  const total = hypervolume2d(points, reference);
  const byFirstObjective = (i: number, j: number): number => {
    const [p, q] = [points[i] as [number, number], points[j] as [number, number]];
    return p[0] - q[0] || q[1] - p[1];
  };
  const front = nonDominated(points).sort(byFirstObjective);
  return {
    definition: { name: 'hypervolume-2d', description: AUPF_DEFINITION_TEXT, objectives, referencePoint },
    points: front.map((i) => ({
      ...(inputs[i] as FrontierInput<T>),
      contribution:
        total -
        hypervolume2d(
          points.filter((_, j) => j !== i),
          reference,
        ),
    })),
    hypervolume: total,
  };
}

/** The study's AUPF: (test clean accuracy, robust accuracy), both maximised, reference (0, 0). */
export function aupf(points: readonly (readonly [number, number])[]): number {
  return hypervolume2d(points, [0, 0]);
}

/** "X% above the average": 100 * (value / mean of all values - 1), for each key (the mean includes the key itself). */
export function aboveAverage(values: ReadonlyMap<string, number>): Map<string, number> {
  const all = [...values.values()];
  const mean = all.reduce((s, v) => s + v, 0) / all.length;
  return new Map([...values].map(([k, v]) => [k, 100 * (v / mean - 1)]));
}
