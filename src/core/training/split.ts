import type { Rng } from '../tensor/rng.js';

/**
 * A seeded stratified split: within each class, a shuffled `fraction` (rounded) goes to the second part.
 * Both parts are returned in ascending index order. The reference study split 90/10 without a seed.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  fraction: number,
  rng: Rng,
): { first: Int32Array; second: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`split fraction must be in [0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    let list = byClass.get(label);
    if (list === undefined) byClass.set(label, (list = []));
    list.push(i);
  }
  const first: number[] = [];
  const second: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(byClass.get(label) as number[]);
    const cut = Math.round(members.length * fraction);
    second.push(...members.slice(0, cut));
    first.push(...members.slice(cut));
  }
  const sorted = (xs: number[]): Int32Array => Int32Array.from(xs.sort((a, b) => a - b));
  return { first: sorted(first), second: sorted(second) };
}

/** A fixed seeded sample of `size` indices out of `count` (all of them for 'all' or a size >= count), ascending. */
export function seededSample(count: number, size: number | 'all', rng: Rng): Int32Array {
  if (size === 'all' || size >= count) return Int32Array.from({ length: count }, (_, i) => i);
  return rng.permutation(count).slice(0, size).sort();
}

/** A smaller training set for quick experiments: `perClass` images of every class, or `total` images, seeded. */
export type Subset = { readonly perClass: number } | { readonly total: number };

/** The indices kept by `subset` (ascending); fewer images than asked for keeps them all. */
export function subsetIndices(indices: Int32Array, labels: ArrayLike<number>, subset: Subset, rng: Rng): Int32Array {
  if ('total' in subset) return seededSample(indices.length, subset.total, rng).map((i) => indices[i] as number);
  const byClass = new Map<number, number[]>();
  for (const i of indices) byClass.set(labels[i] as number, [...(byClass.get(labels[i] as number) ?? []), i]);
  const kept = [...byClass.keys()]
    .sort((a, b) => a - b)
    .flatMap((label) => rng.shuffle(byClass.get(label) as number[]).slice(0, subset.perClass));
  return Int32Array.from(kept.sort((a, b) => a - b));
}
