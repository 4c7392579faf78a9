import type { Rng } from '../tensor/rng.js';

/**
 * A seeded stratified split: within each class, a shuffled `fraction` (rounded) goes to the second part.
 * Both parts are returned in ascending index order. The reference study split 90/10 without a seed.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, rng: Rng): { first: Int32Array; second: Int32Array } {
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
