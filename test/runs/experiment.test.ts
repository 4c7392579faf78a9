import { describe, expect, it } from 'vitest';
import { experimentSchema, expandExperiment } from '../../src/core/runs/experiment.js';

const training = (spec: unknown): { learningRate?: number; weightDecay?: number } =>
  (spec as { training: { learningRate?: number; weightDecay?: number } }).training;

describe('experiment expansion', () => {
  it('applies base, then per-strategy settings, then grid values, in a fixed order', () => {
    const experiment = experimentSchema.parse({
      name: 'x',
      base: { training: { learningRate: 0.1 } },
      strategies: ['full', ['lora', 'bitfit'], 'ia3'],
      datasets: ['toy'],
      seeds: [0, 1],
      perStrategy: { full: { 'training.learningRate': 0.001 }, bitfit: { 'training.weightDecay': 0.5 } },
      grid: { 'training.weightDecay': [0, 0.01] },
    });
    const runs = expandExperiment(experiment).map(({ spec }) => ({
      strategies: (spec as { strategies: unknown }).strategies,
      seed: (spec as { seed: number }).seed,
      ...training(spec),
    }));
    expect(runs).toHaveLength(3 * 2 * 2);
    expect(runs.filter((r) => JSON.stringify(r.strategies) === '["full"]').every((r) => r.learningRate === 0.001)).toBe(
      true,
    );
    expect(runs.filter((r) => JSON.stringify(r.strategies) !== '["full"]').every((r) => r.learningRate === 0.1)).toBe(
      true,
    );
    // The grid wins over per-strategy settings: the stack with bitfit still gets both weight decays.
    expect(runs.filter((r) => JSON.stringify(r.strategies) === '["lora","bitfit"]').map((r) => r.weightDecay)).toEqual([
      0, 0, 0.01, 0.01,
    ]);
    expect(runs.slice(0, 2).map((r) => r.seed)).toEqual([0, 1]);
  });

  it('refuses per-strategy settings for a strategy the experiment does not run', () => {
    const result = experimentSchema.safeParse({
      name: 'x',
      strategies: ['lora'],
      datasets: ['toy'],
      perStrategy: { ful: { 'training.learningRate': 1 } },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ['perStrategy', 'ful'],
      message: "'ful' is not among the experiment's strategies (lora)",
    });
  });
});
