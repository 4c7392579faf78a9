/** A transpose reduced to what moves: the input's shape and the permutation, both without size-1 dimensions. */
export interface TransposePlan {
  readonly shape: number[];
  readonly perm: number[];
}

/**
 * Removes size-1 dimensions and merges runs of input dimensions that stay adjacent and in order in the output, so
 * that `[B, T, H, D] -> [0, 2, 1, 3]` with `B = 1` becomes `[T, H, D] -> [1, 0, 2]` and then `[T, H*D]`-like
 * groups where possible. The result moves the same elements to the same places.
 */
export function simplifyTranspose(shape: readonly number[], perm: readonly number[]): TransposePlan {
  const kept = perm.filter((d) => shape[d] !== 1);
  // Runs of consecutive input dimensions, in output order.
  const runs: number[][] = [];
  for (const d of kept) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === nearestKeptBelow(shape, d)) run.push(d);
    else runs.push([d]);
  }
  const byInput = [...runs].sort((x, y) => (x[0] as number) - (y[0] as number));
  return {
    shape: byInput.map((run) => run.reduce((size, d) => size * (shape[d] as number), 1)),
    perm: runs.map((run) => byInput.indexOf(run)),
  };
}

/** The nearest input dimension below `d` whose size is not 1 (size-1 dimensions sit anywhere). */
function nearestKeptBelow(shape: readonly number[], d: number): number {
  let below = d - 1;
  while (below >= 0 && shape[below] === 1) below--;
  return below;
}

/** Whether a simplified permutation moves nothing (the transpose is a copy). */
export function isIdentity(perm: readonly number[]): boolean {
  return perm.every((d, i) => d === i);
}
