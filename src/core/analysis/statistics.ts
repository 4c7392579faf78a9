/** Two-sided 97.5% quantiles of Student's t for 1 to 30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t: tabled to 30 degrees of freedom, then its Cornish-Fisher expansion (error < 1e-4). */
export function studentT975(degreesOfFreedom: number): number {
  const tabled = T_975[degreesOfFreedom - 1];
  if (tabled !== undefined) return tabled;
  const z = 1.959964;
  const n = degreesOfFreedom;
  return z + (z ** 3 + z) / (4 * n) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * n ** 2);
}

/** Mean, sample standard deviation and 95% confidence interval of the mean (Student t); spread is null for one value. */
export interface MeanEstimate {
  readonly mean: number;
  readonly std: number | null;
  readonly ci95: readonly [number, number] | null;
}

export function estimateMean(values: readonly number[]): MeanEstimate {
  const n = values.length;
  if (n === 0) throw new Error('estimateMean: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: null, ci95: null };
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = (studentT975(n - 1) * std) / Math.sqrt(n);
  return { mean, std, ci95: [mean - half, mean + half] };
}
