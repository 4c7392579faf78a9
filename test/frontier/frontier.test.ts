import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aboveAverage,
  aupf,
  hypervolume2d,
  nonDominated,
  paretoFrontier,
  pearson,
  spearman,
} from '../../src/core/frontier/index.js';
import type { Objective } from '../../src/core/frontier/index.js';

const CHECK: [number, number][] = [
  [0.9, 0.1],
  [0.7, 0.4],
  [0.5, 0.5],
];
const unitPoint = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }));
const OBJECTIVES: [Objective, Objective] = [
  { metric: 'accuracy', sense: 'max' },
  { metric: 'robust_accuracy', sense: 'max' },
];

describe('AUPF (protocol.md §7 check values)', () => {
  it('is 0.35 for the reference points, unchanged by a dominated point or a duplicate, 0 when empty', () => {
    expect(aupf(CHECK)).toBeCloseTo(0.35, 12);
    expect(aupf([...CHECK, [0.6, 0.3]])).toBeCloseTo(0.35, 12);
    expect(aupf([...CHECK, [0.7, 0.4]])).toBeCloseTo(0.35, 12);
    expect(aupf([])).toBe(0);
  });

  it('equals the integral over x of max{ r : a >= x }', () => {
    fc.assert(
      fc.property(fc.array(unitPoint, { maxLength: 12 }), (points) => {
        const steps = 2000;
        let integral = 0;
        for (let k = 0; k < steps; k++) {
          const x = (k + 0.5) / steps;
          integral += Math.max(0, ...points.filter(([a]) => a >= x).map(([, r]) => r)) / steps;
        }
        expect(aupf(points)).toBeCloseTo(integral, 2);
      }),
      { numRuns: 50 },
    );
  });

  it('is invariant to point order, ignores dominated points and scales linearly with an axis', () => {
    fc.assert(
      fc.property(
        fc.array(unitPoint, { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (points, scale) => {
          const area = aupf(points);
          expect(aupf([...points].reverse())).toBeCloseTo(area, 12);
          const front = nonDominated(points).map((i) => points[i] as [number, number]);
          expect(aupf(front)).toBeCloseTo(area, 12);
          expect(aupf(points.map(([a, r]) => [a, r * scale]))).toBeCloseTo(area * scale, 10);
          expect(aupf(points.map(([a, r]) => [a * scale, r]))).toBeCloseTo(area * scale, 10);
        },
      ),
    );
  });
});

describe('paretoFrontier', () => {
  it('returns the frontier sorted, with exclusive contributions and the definition used', () => {
    const result = paretoFrontier(
      [...CHECK, [0.6, 0.3]].map((values, i) => ({ values: values as [number, number], item: { step: i * 50 } })),
      OBJECTIVES,
    );
    expect(result.hypervolume).toBeCloseTo(0.35, 12);
    expect(result.points.map((p) => p.item.step)).toEqual([100, 50, 0]);
    // without (0.7, 0.4) the dominated (0.6, 0.3) joins the frontier: 0.35 - (0.25 + 0.1*0.3 + 0.3*0.1) = 0.04
    expect(result.points.map((p) => p.contribution)).toEqual([
      expect.closeTo(0.05, 12),
      expect.closeTo(0.04, 12),
      expect.closeTo(0.02, 12),
    ]);
    expect(result.definition).toMatchObject({ name: 'hypervolume-2d', referencePoint: [0, 0], objectives: OBJECTIVES });
  });

  it('handles a minimised objective and a reference point', () => {
    // (error rate: min, robust accuracy: max) with reference (1, 0) is the same area as (accuracy, robust accuracy)
    const asError = CHECK.map(([a, r]) => ({ values: [1 - a, r] as [number, number], item: null }));
    const result = paretoFrontier(asError, [{ metric: 'error', sense: 'min' }, OBJECTIVES[1]], [1, 0]);
    expect(result.hypervolume).toBeCloseTo(0.35, 12);
    expect(hypervolume2d(CHECK, [0.5, 0.1])).toBeCloseTo(0.2 * 0.3 + 0.2 * 0, 12);
  });
});

describe('aggregates', () => {
  it('computes percent above the average of all strategies', () => {
    const above = aboveAverage(
      new Map([
        ['bitfit', 0.21],
        ['lora', 0.14],
        ['linear', 0.07],
      ]),
    );
    expect(above.get('bitfit')).toBeCloseTo(50, 10);
    expect(above.get('lora')).toBeCloseTo(0, 10);
    expect(above.get('linear')).toBeCloseTo(-50, 10);
  });

  it('computes Pearson and Spearman correlations', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2, 3], [1, 1, 1])).toBeNaN();
    // The mean of three 0.1s rounds to 0.10000000000000002: still no variance.
    expect(pearson([0.1, 0.1, 0.1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 100])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505138, 12);
    expect(() => pearson([1], [1, 2])).toThrow('series lengths differ');
  });
});
