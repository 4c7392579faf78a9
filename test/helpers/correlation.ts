// Correlations computed the textbook way, independently of paretune's own functions, to check the numbers it reports.
import type { ShiftedSeries } from './api.js';

/** Pearson r. */
function pearsonR(x: readonly number[], y: readonly number[]): number {
  const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const [mx, my] = [mean(x), mean(y)];
  let [sxy, sxx, syy] = [0, 0, 0];
  x.forEach((xi, i) => {
    const yi = y[i] as number;
    sxy += (xi - mx) * (yi - my);
    sxx += (xi - mx) ** 2;
    syy += (yi - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks from 1, ties sharing the average of the ranks they span. */
function averageRanks(values: readonly number[]): number[] {
  return values.map((v) => {
    const below = values.filter((w) => w < v).length;
    const equal = values.filter((w) => w === v).length;
    return below + (equal + 1) / 2;
  });
}

const spearmanRho = (x: readonly number[], y: readonly number[]): number => pearsonR(averageRanks(x), averageRanks(y));

/** Pearson and Spearman over the steps where both series have a value, and how many steps that is. */
export function expectedCorrelation(x: readonly (number | null)[], y: readonly (number | null)[]) {
  const common = x.flatMap((xi, i) => (xi === null || y[i] == null ? [] : [[xi, y[i] as number] as const]));
  const [xs, ys] = [common.map((c) => c[0]), common.map((c) => c[1])];
  return { pearson: pearsonR(xs, ys), spearman: spearmanRho(xs, ys), steps: common.length };
}

/** The domains pooled at each step: images-weighted accuracy where every domain was measured, else null. */
export const pooledDomains = (series: readonly ShiftedSeries[]): (number | null)[] =>
  (series[0] as ShiftedSeries).accuracy.map((_, i) =>
    series.some((s) => s.accuracy[i] === null)
      ? null
      : series.reduce((sum, s) => sum + (s.accuracy[i] as number) * s.images, 0) /
        series.reduce((sum, s) => sum + s.images, 0),
  );
