import { ConfigError } from '../contracts/config.js';

/**
 * Down-samples a series (in step order) to at most `samples` points for plotting: the first and last points and
 * the lowest and highest values are always kept, the rest of the budget is spread evenly over the series.
 * @throws {@link ConfigError} when `samples` < 4.
 */
export function downsample<T extends { readonly value: number }>(series: readonly T[], samples: number): T[] {
  if (!Number.isInteger(samples) || samples < 4)
    throw new ConfigError(
      `samples must be an integer of at least 4 (the first, last, lowest and highest points are always kept), got ${samples}`,
    );
  if (series.length <= samples) return [...series];
  const last = series.length - 1;
  let low = 0;
  let high = 0;
  series.forEach((p, i) => {
    if (p.value < (series[low] as T).value) low = i;
    if (p.value > (series[high] as T).value) high = i;
  });
  const kept = new Set([0, last, low, high]);
  // Evenly spaced indices fill the budget; an index already kept leaves its slot to the next spacing.
  const free = samples - kept.size;
  for (let k = 1; k <= free; k++) kept.add(Math.round((k * last) / (free + 1)));
  for (let i = 1; kept.size < samples && i < last; i++) kept.add(i);
  return [...kept].sort((a, b) => a - b).map((i) => series[i] as T);
}
