import { describe, expect, it } from 'vitest';
import { estimateMean, studentT975 } from '../../src/core/analysis/statistics.js';

describe('mean estimates', () => {
  it("use Student's t quantiles, tabled and beyond the table", () => {
    expect(studentT975(1)).toBe(12.706);
    expect(studentT975(30)).toBe(2.042);
    // Published values for 40 and 120 degrees of freedom.
    expect(studentT975(40)).toBeCloseTo(2.021, 3);
    expect(studentT975(120)).toBeCloseTo(1.98, 3);
  });

  it('give the sample standard deviation and a 95% interval, and no spread for one value', () => {
    expect(estimateMean([0.5])).toEqual({ mean: 0.5, std: null, ci95: null });
    const { mean, std, ci95 } = estimateMean([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(ci95?.[0]).toBeCloseTo(2.5 - (3.182 * Math.sqrt(5 / 3)) / 2, 12);
    expect(ci95?.[1]).toBeCloseTo(2.5 + (3.182 * Math.sqrt(5 / 3)) / 2, 12);
  });
});
