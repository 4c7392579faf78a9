import { describe, expect, it } from 'vitest';
import { accuracy } from '../../src/plugins/metrics/accuracy.js';

const predictions = (logits: number[][], labels: number[]) => ({
  logits: Float32Array.from(logits.flat()),
  labels: Int32Array.from(labels),
  count: labels.length,
  numClasses: logits[0]?.length ?? 0,
  context: { split: 'test' },
});

describe('accuracy metric', () => {
  const set = predictions(
    [
      [0.1, 0.7, 0.2],
      [0.5, 0.3, 0.2],
      [0.2, 0.3, 0.5],
      [0.6, 0.3, 0.1],
    ],
    [1, 1, 2, 2],
  );

  it('computes top-1 and top-k accuracy', () => {
    expect(accuracy.compute(set, { k: 1 })).toBe(0.5);
    expect(accuracy.compute(set, { k: 2 })).toBe(0.75);
    expect(accuracy.compute(set, { k: 3 })).toBe(1);
  });

  it('defaults to top-1 and is NaN on an empty set', () => {
    expect(accuracy.configSchema.parse({})).toEqual({ k: 1 });
    expect(accuracy.compute(predictions([], []), { k: 1 })).toBeNaN();
  });
});
