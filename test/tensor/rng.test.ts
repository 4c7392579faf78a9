import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/tensor/rng.js';

const draw = (rng: Rng, n = 8): number[] => Array.from({ length: n }, () => rng.float());

describe('Rng', () => {
  it('repeats the same stream for the same seed and differs across seeds', () => {
    expect(draw(Rng.fromSeed(42))).toEqual(draw(Rng.fromSeed(42)));
    expect(draw(Rng.fromSeed(42))).not.toEqual(draw(Rng.fromSeed(43)));
  });

  it('continues exactly from a saved state, also through JSON', () => {
    const rng = Rng.fromSeed(7).fork('init');
    draw(rng, 5);
    const saved = JSON.parse(JSON.stringify(rng.state));
    expect(draw(Rng.fromState(saved))).toEqual(draw(rng));
  });

  it('forks depend only on the seed and labels, not on draws made before', () => {
    const a = Rng.fromSeed(1);
    const b = Rng.fromSeed(1);
    draw(b, 100);
    expect(draw(a.fork('split'))).toEqual(draw(b.fork('split')));
    expect(draw(a.fork('split'))).not.toEqual(draw(a.fork('attack')));
    expect(draw(a.fork('x').fork('y'))).toEqual(draw(Rng.fromSeed(1).fork('x').fork('y')));
  });

  it('draws with the right ranges and moments', () => {
    const rng = Rng.fromSeed(3);
    const n = 20_000;
    const u = rng.uniformArray(n, -2, 2);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(2);
    const g = rng.normalArray(n, 1, 2);
    const mean = g.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    expect(mean).toBeCloseTo(1, 1);
    expect(sd).toBeCloseTo(2, 1);
    const ints = Array.from({ length: 1000 }, () => rng.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
  });

  it('makes permutations and rejects non-integer seeds', () => {
    const p = Rng.fromSeed(5).permutation(100);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(() => Rng.fromSeed(1.5)).toThrow('seed must be an integer');
  });
});
