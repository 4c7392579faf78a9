import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** Everything needed to continue a random stream exactly where it stopped (stored in run checkpoints). */
export interface RngState {
  readonly seed: number;
  readonly path: readonly string[];
  readonly generator: readonly number[];
}

/** A 32-bit seed derived from a root seed and a label path, so forked streams do not depend on draw order. */
function deriveSeed(seed: number, path: readonly string[]): number {
  if (path.length === 0) return seed | 0;
  const digest = createHash('sha256')
    .update(JSON.stringify([seed, ...path]))
    .digest();
  return digest.readInt32LE(0);
}

/**
 * The one seeded random source of paretune. Every component that draws random numbers (splits, subsets,
 * initialisations, attack starts, corruptions) takes an `Rng` and never uses `Math.random` or unseeded
 * TensorFlow.js random ops.
 *
 * Components get independent streams with {@link Rng.fork}: a fork depends only on the root seed and the
 * fork labels, so adding a consumer does not change what another consumer draws. The generator is
 * xoroshiro128+ from `pure-rand`; its state is serialisable ({@link Rng.state}) for resumable runs.
 */
export class Rng {
  private constructor(
    private readonly seed: number,
    private readonly path: readonly string[],
    private readonly generator: JumpableRandomGenerator,
  ) {}

  /** A stream from an integer seed (taken modulo 2^32). */
  static fromSeed(seed: number): Rng {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    return new Rng(seed | 0, [], xoroshiro128plus(seed | 0));
  }

  /** Restores a stream saved with {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    return new Rng(state.seed, [...state.path], xoroshiro128plusFromState(state.generator));
  }

  /** The current state; `Rng.fromState(rng.state)` continues with exactly the same draws. */
  get state(): RngState {
    return { seed: this.seed, path: [...this.path], generator: [...this.generator.getState()] };
  }

  /** An independent stream for the component named `label`, a pure function of (root seed, labels). */
  fork(label: string): Rng {
    const path = [...this.path, label];
    return new Rng(this.seed, path, xoroshiro128plus(deriveSeed(this.seed, path)));
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  /** Gaussian sample (Box-Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.float(); // (0, 1]: log(u) is finite
    const v = this.float();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `n` floats uniform in [low, high). */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * this.float();
    return out;
  }

  /** `n` Gaussian floats. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    return Int32Array.from(this.shuffle(Array.from({ length: n }, (_, i) => i)));
  }

  /** A 32-bit seed for a TensorFlow.js random op, drawn from this stream. */
  tfSeed(): number {
    return this.int(0, 0x7fffffff);
  }
}
