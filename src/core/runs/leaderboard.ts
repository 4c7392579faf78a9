import { aboveAverage } from '../frontier/pareto.js';
import type { RunRecord } from '../store/store.js';

/** One strategy on one dataset, over its finished runs (seeds, settings). */
export interface LeaderboardRow {
  readonly dataset: string;
  readonly strategy: string;
  readonly runs: number;
  /** Mean AUPF of the runs' (test accuracy, robust accuracy) frontiers. */
  readonly aupf: number;
  readonly aupfStd: number;
  /** 100 * (aupf / mean aupf of the dataset's strategies - 1). */
  readonly aboveAverage: number;
  readonly bestClean: number;
  readonly bestRobust: number;
}

interface StoredSummary {
  frontier?: { hypervolume: number; points: { values: [number, number] }[] };
}

/**
 * AUPF per strategy and dataset from finished runs, with "% above the average" of the dataset's strategies
 * (protocol.md §7). Runs without a frontier (no attack) are left out.
 */
export function leaderboard(runs: readonly RunRecord[]): LeaderboardRow[] {
  const groups = new Map<string, { dataset: string; strategy: string; aupf: number[]; clean: number; robust: number }>();
  for (const run of runs) {
    const frontier = (run.result as StoredSummary | null)?.frontier;
    if (run.status !== 'finished' || frontier === undefined) continue;
    const key = `${run.dataset}\u0000${run.strategy}`;
    const group = groups.get(key) ?? { dataset: run.dataset, strategy: run.strategy, aupf: [], clean: 0, robust: 0 };
    group.aupf.push(frontier.hypervolume);
    for (const p of frontier.points) {
      group.clean = Math.max(group.clean, p.values[0]);
      group.robust = Math.max(group.robust, p.values[1]);
    }
    groups.set(key, group);
  }
  const rows: LeaderboardRow[] = [];
  for (const dataset of new Set([...groups.values()].map((g) => g.dataset))) {
    const members = [...groups.values()].filter((g) => g.dataset === dataset);
    const means = new Map(members.map((g) => [g.strategy, g.aupf.reduce((a, b) => a + b, 0) / g.aupf.length]));
    const above = aboveAverage(means);
    for (const g of members) {
      const mean = means.get(g.strategy) as number;
      const std = Math.sqrt(g.aupf.reduce((s, v) => s + (v - mean) ** 2, 0) / g.aupf.length);
      rows.push({ dataset, strategy: g.strategy, runs: g.aupf.length, aupf: mean, aupfStd: std, aboveAverage: above.get(g.strategy) as number, bestClean: g.clean, bestRobust: g.robust });
    }
  }
  return rows.sort((a, b) => (a.dataset === b.dataset ? b.aupf - a.aupf : a.dataset < b.dataset ? -1 : 1));
}
