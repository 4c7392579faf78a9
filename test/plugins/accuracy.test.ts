import { describe, expect, it } from 'vitest';
import { readSafetensorsHeader, readTensor, writeSafetensors } from '../../src/core/model/safetensors.js';
import { accuracy } from '../../src/plugins/metrics/accuracy.js';
import { cli, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

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

describe('accuracy ranking rules', () => {
  it('breaks ties by the lower class index, as torch.argmax does', () => {
    const tied = predictions(
      [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 2, 2],
      ],
      [0, 1, 2, 2],
    );
    // Only class 0 wins an all-zero row; class 1 wins the 1,2,2 row.
    expect(accuracy.compute(tied, { k: 1 })).toBe(0.25);
  });

  it('never counts a row with a NaN logit as correct', () => {
    const nan = predictions(
      [
        [Number.NaN, Number.NaN, Number.NaN],
        [0.1, Number.NaN, 0.9],
        [0.1, 0.9, 0.2],
      ],
      [0, 2, 1],
    );
    expect(accuracy.compute(nan, { k: 1 })).toBeCloseTo(1 / 3, 12);
    expect(accuracy.compute(nan, { k: 3 })).toBeCloseTo(1 / 3, 12);
  });

  it('ranks ties in top-k as a stable descending sort', () => {
    // Ranking of [5, 5, 5, 1] is classes 0, 1, 2, 3.
    const tied = predictions(
      [
        [5, 5, 5, 1],
        [5, 5, 5, 1],
        [5, 5, 5, 1],
        [5, 5, 5, 1],
      ],
      [0, 1, 2, 3],
    );
    expect(accuracy.compute(tied, { k: 1 })).toBe(0.25);
    expect(accuracy.compute(tied, { k: 2 })).toBe(0.5);
    expect(accuracy.compute(tied, { k: 3 })).toBe(0.75);
    expect(accuracy.compute(tied, { k: 4 })).toBe(1);
  });

  it('ranks infinite logits like any other value', () => {
    const infinite = predictions(
      [
        [Number.POSITIVE_INFINITY, 0],
        [Number.NEGATIVE_INFINITY, 0],
      ],
      [0, 0],
    );
    expect(accuracy.compute(infinite, { k: 1 })).toBe(0.5);
  });
});

describe('accuracy of a checkpoint with a zeroed head', () => {
  it('is the first-index argmax accuracy, clean and under PGD, not 1', async () => {
    const dir = tempDir();
    const file = await tinyCheckpoint(dir);
    const header = readSafetensorsHeader(file);
    const tensors = new Map(
      [...header.tensors.values()].map((t) => {
        const data = readTensor(header, t.name);
        return [
          t.name,
          { shape: t.shape, data: t.name.startsWith('classifier.') ? new Float32Array(data.length) : data },
        ];
      }),
    );
    writeSafetensors(file, tensors, header.metadata);
    const plugin = toyDatasetPackage();
    const { code, stdout, stderr } = await cli(
      [
        '--plugin',
        plugin,
        'evaluate',
        '--weights',
        dir,
        '--dataset',
        'toy',
        '--eps',
        '8/255',
        '--attack-steps',
        '2',
        '--json',
      ],
      dir,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { points, plugins } = JSON.parse(stdout) as {
      points: { context: Record<string, unknown>; value: number }[];
      plugins: string[];
    };
    // Every logit is 0, so class 0 wins every row: the toy test split labels i % 3, a third of them class 0.
    expect(points.map((p) => p.value)).toEqual([1 / 3, 1 / 3]);
    expect(points.map((p) => p.context['attack'])).toEqual([undefined, 'pgd']);
    expect(plugins).toContain('accuracy@0.2.0');
  });
});
