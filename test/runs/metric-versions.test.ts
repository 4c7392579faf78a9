import 'reflect-metadata';
import { join } from 'node:path';
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { formatLeaderboard } from '../../src/cli/commands/experiment.js';
import { createContainer } from '../../src/core/container.js';
import { PluginRegistry } from '../../src/core/registry/registry.js';
import { leaderboards } from '../../src/core/analysis/leaderboard.js';
import { Store } from '../../src/core/store/store.js';
import { Api } from '../../src/schema/api.js';
import { buildApiSchema } from '../../src/schema/schema.js';
import { seedRuns, tempDir } from '../helpers/index.js';
import type { SeedRun } from '../helpers/index.js';

/**
 * Two strategies measured by accuracy 0.2.0, and a third measured by 0.1.0 (which counted ties as correct) with a
 * far better trajectory: it must never be ranked with, nor raise the average of, the others.
 */
const run = (id: string, strategy: string, accuracyVersion: string, top: number): SeedRun => ({
  id,
  strategy,
  dataset: 'synthetic',
  seed: 0,
  tags: [],
  plugins: ['synthetic@1.0.0', `${strategy}@0.1.0`, 'pgd@0.1.0', `accuracy@${accuracyVersion}`],
  trajectory: [
    [0.1, 0.05],
    [top, top / 2],
  ],
});
const RUNS = [
  run('new-lora', 'lora', '0.2.0', 0.6),
  run('new-bitfit', 'bitfit', '0.2.0', 0.4),
  run('old-full', 'full', '0.1.0', 1),
];

function seeded(): Store {
  const file = join(tempDir(), 'versions.db');
  seedRuns(file, RUNS);
  return Store.open(file);
}

describe('accuracy metric versions', () => {
  it('are never ranked together: each version gets its own leaderboard, newest first', () => {
    const store = seeded();
    try {
      const boards = leaderboards(store.listRuns(), (id) => store.points(id));
      expect(boards.map((b) => [b.protocol.accuracyVersion, b.entries.map((e) => [e.strategy, e.runIds])])).toEqual([
        [
          '0.2.0',
          [
            ['lora', ['new-lora']],
            ['bitfit', ['new-bitfit']],
          ],
        ],
        ['0.1.0', [['full', ['old-full']]]],
      ]);
      // "above the average" of the 0.2.0 board ignores the 0.1.0 run; alone on its board, it is at the average.
      const [lora, bitfit] = boards[0]?.entries ?? [];
      expect(lora?.aboveAverage).toBeGreaterThan(0);
      expect(lora!.aboveAverage + bitfit!.aboveAverage).toBeCloseTo(0, 9);
      expect(boards[1]?.entries[0]?.aboveAverage).toBeCloseTo(0, 9);
      const text = formatLeaderboard(boards);
      expect(text).toContain(
        'synthetic, robust accuracy under pgd Linf eps 1/255 (accuracy@0.2.0; not comparable with the other boards)',
      );
      expect(text).toContain(
        'synthetic, robust accuracy under pgd Linf eps 1/255 (accuracy@0.1.0; not comparable with the other boards)',
      );
      // One version: the heading is as before.
      expect(formatLeaderboard(boards.slice(0, 1))).toMatch(/^synthetic, robust accuracy under pgd Linf eps 1\/255\n/);
    } finally {
      store.close();
    }
  });

  it('split GraphQL leaderboards, and a frontier refuses to pool runs of different versions', async () => {
    const store = seeded();
    try {
      const container = await createContainer({ builtins: [], cwd: tempDir() });
      // Only queries here: an executor that refuses work keeps the test free of worker threads.
      const executor = {
        execute: () => Promise.reject(new Error('no runs in this test')),
        concurrency: 1,
        where: 'nowhere',
        detached: false,
        close: async () => {},
      };
      const api = new Api({ store, registry: container.resolve(PluginRegistry), dataDir: tempDir(), executor });
      const schema = await buildApiSchema(container, api);
      const query = async (source: string) => graphql({ schema, source, contextValue: { authorized: false, api } });

      const boards = await query('{ leaderboard(dataset: "synthetic") { accuracyVersion entries { rank strategy } } }');
      expect(boards.errors).toBeUndefined();
      expect(boards.data?.['leaderboard']).toEqual([
        {
          accuracyVersion: '0.2.0',
          entries: [
            { rank: 1, strategy: 'lora' },
            { rank: 2, strategy: 'bitfit' },
          ],
        },
        { accuracyVersion: '0.1.0', entries: [{ rank: 1, strategy: 'full' }] },
      ]);

      const mixed = await query('{ frontier(runs: ["new-lora", "old-full"]) { hypervolume } }');
      expect(mixed.errors?.[0]?.message).toBe(
        'the selected runs measured accuracy with different, incomparable versions (accuracy@0.2.0: new-lora; accuracy@0.1.0: old-full); select runs of one version',
      );
      const same = await query('{ frontier(runs: ["new-lora", "new-bitfit"]) { hypervolume } }');
      expect(same.errors).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
