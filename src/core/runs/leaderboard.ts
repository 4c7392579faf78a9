import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { aboveAverage } from '../frontier/pareto.js';
import type { RunRecord } from '../store/store.js';
import { metricVersion, runFrontier, runObjectives } from './frontiers.js';
import type { ThreatSelector } from './frontiers.js';

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
  /** Canonical context of the robust accuracy the frontiers used (e.g. pgd, Linf, eps). */
  readonly robustContext: string;
  /** Version of the accuracy metric the runs measured with ('' where the runs did not record it). */
  readonly accuracyVersion: string;
  /** The runs averaged. */
  readonly runIds: readonly string[];
}

interface Group {
  readonly dataset: string;
  readonly strategy: string;
  readonly robust: string;
  readonly accuracyVersion: string;
  readonly aupf: number[];
  readonly runIds: string[];
  bestClean: number;
  bestRobust: number;
}

/**
 * AUPF per strategy and dataset from finished runs, with "% above the average" of the dataset's strategies
 * (protocol.md §7). Frontiers are computed from the stored points: against the robust accuracy of `threat`, or of
 * each run's own frontier when no threat is given. Runs that did not measure that robust accuracy are left out.
 * Runs measured by different versions of the accuracy metric are never pooled or ranked together: each version has
 * its own board (newest version first).
 */
export function leaderboard(runs: readonly RunRecord[], pointsOf: (runId: string) => readonly MeasuredPoint[], threat?: ThreatSelector): LeaderboardRow[] {
  const groups = new Map<string, Group>();
  for (const run of runs) {
    if (run.status !== 'finished') continue;
    const points = pointsOf(run.id);
    const objectives = runObjectives(run, points, threat);
    if (objectives === undefined) continue;
    const frontier = runFrontier(points, objectives);
    const robust = objectives[1].context ?? '';
    const accuracyVersion = metricVersion(run, 'accuracy') ?? '';
    const key = `${run.dataset}\u0000${run.strategy}\u0000${robust}\u0000${accuracyVersion}`;
    const group: Group = groups.get(key) ?? { dataset: run.dataset, strategy: run.strategy, robust, accuracyVersion, aupf: [], runIds: [], bestClean: 0, bestRobust: 0 };
    group.aupf.push(frontier.hypervolume);
    group.runIds.push(run.id);
    for (const p of frontier.points) {
      group.bestClean = Math.max(group.bestClean, p.values[0]);
      group.bestRobust = Math.max(group.bestRobust, p.values[1]);
    }
    groups.set(key, group);
  }
  const rows: LeaderboardRow[] = [];
  // One board per dataset, robust accuracy and accuracy version: "above the average" compares like with like.
  const boards = new Map<string, Group[]>();
  for (const g of groups.values()) {
    const board = `${g.dataset}\u0000${g.robust}\u0000${g.accuracyVersion}`;
    boards.set(board, [...(boards.get(board) ?? []), g]);
  }
  for (const members of boards.values()) {
    const means = new Map(members.map((g) => [g.strategy, g.aupf.reduce((a, b) => a + b, 0) / g.aupf.length]));
    const above = aboveAverage(means);
    for (const g of members) {
      const mean = means.get(g.strategy) as number;
      const std = Math.sqrt(g.aupf.reduce((s, v) => s + (v - mean) ** 2, 0) / g.aupf.length);
      rows.push({ dataset: g.dataset, strategy: g.strategy, runs: g.aupf.length, aupf: mean, aupfStd: std, aboveAverage: above.get(g.strategy) as number, bestClean: g.bestClean, bestRobust: g.bestRobust, robustContext: g.robust, accuracyVersion: g.accuracyVersion, runIds: g.runIds });
    }
  }
  const byVersion = (a: LeaderboardRow, b: LeaderboardRow): number => b.accuracyVersion.localeCompare(a.accuracyVersion, 'en', { numeric: true });
  return rows.sort((a, b) =>
    a.dataset !== b.dataset
      ? a.dataset < b.dataset ? -1 : 1
      : a.robustContext !== b.robustContext
        ? a.robustContext < b.robustContext ? -1 : 1
        : byVersion(a, b) || b.aupf - a.aupf,
  );
}
