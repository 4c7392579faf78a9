/**
 * `[start, end)` ranges splitting `count` images into the fewest micro-batches of at most `size` images,
 * as equal in size as possible (64 images at most 40 a pass: 32 + 32, not 40 + 24).
 */
export function microBatchRanges(count: number, size: number): Array<[number, number]> {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`micro-batch size must be a positive integer, got ${size}`);
  }
  const parts = Math.max(1, Math.ceil(count / size));
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < parts; i++) ranges.push([Math.round((i * count) / parts), Math.round(((i + 1) * count) / parts)]);
  return ranges;
}
