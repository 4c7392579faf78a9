import type { MetricContext } from '../contracts/metric.js';
import { canonicalJson } from '../evaluation/context.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { aboveAverage } from '../frontier/pareto.js';
import { runFrontier, runObjectives } from '../runs/frontiers.js';
import type { ThreatSelector } from '../runs/frontiers.js';
import type { RunRecord } from '../store/store.js';
import { architectureOfRun, differences, keyOf, protocolOf, settingOf } from './protocol.js';
import type { ArchitectureSummary, ConfigResolver, Protocol } from './protocol.js';
import { meanCorrelations, runCorrelations } from './correlations.js';
import type { MeanCorrelation, RunCorrelation } from './correlations.js';
import { estimateMean } from './statistics.js';
import type { MeanEstimate } from './statistics.js';

/** One setting of a strategy (its finished runs differ in their seeds only) on a board. */
export interface LeaderboardEntry {
  readonly strategy: string;
  /** The spec the runs share (see settingOf). */
  readonly setting: Record<string, unknown>;
  readonly runIds: readonly string[];
  readonly seeds: readonly number[];
  /** AUPF of the runs' (test accuracy, robust accuracy) frontiers: mean, sample std and 95% CI (null for one run). */
  readonly aupf: MeanEstimate;
  /** 100 * (aupf / mean aupf of the board's entries - 1). */
  readonly aboveAverage: number;
  /** Highest clean and robust accuracy among the logged steps on the runs' frontiers (not one model). */
  readonly frontierBestClean: number;
  readonly frontierBestRobust: number;
  /**
   * Mean clean and robust test accuracy of the best-validation checkpoints (the model a study reports); null if a
   * run lacks one.
   */
  readonly bestCheckpointClean: number | null;
  readonly bestCheckpointRobust: number | null;
  readonly architecture: ArchitectureSummary | null;
  readonly totalParameters: number | null;
  readonly trainableParameters: number | null;
  readonly trainablePercent: number | null;
  /** Test images each accuracy was measured on. */
  readonly testSamples: number | null;
  /**
   * Correlations over the logged steps of clean test accuracy with shifted accuracy and with robust accuracy (every
   * threat model the runs measured), each the mean over the runs where it is defined.
   */
  readonly correlations: readonly MeanCorrelation[];
}

/** Entries of one comparable protocol, ranked by mean AUPF. */
export interface LeaderboardBoard {
  readonly dataset: string;
  readonly protocol: Protocol;
  /** Canonical context of the robust accuracy the frontiers used. */
  readonly robustContext: string;
  /** Setting paths in which the board's entries differ (e.g. `strategies`, `training.learningRate`). */
  readonly differences: readonly string[];
  readonly entries: readonly LeaderboardEntry[];
}

interface Member {
  readonly run: RunRecord;
  readonly aupf: number;
  readonly frontierBest: readonly [number, number];
  readonly bestCheckpoint: readonly [number | undefined, number | undefined];
  readonly correlations: readonly RunCorrelation[];
}

interface StoredResult {
  parameters?: { trainable: number; total: number; trainablePercent: number };
  data?: { test?: { evaluated?: number } };
}

/** Clean and robust test accuracy of a run's best-validation checkpoint (its final points). */
type Pair = [number | undefined, number | undefined];

function bestCheckpointAccuracy(points: readonly MeasuredPoint[], robust: string): Pair {
  const finals = points.filter((p) => p.name === 'accuracy' && p.context['checkpoint'] === 'best');
  const valueOf = (context: string): number | undefined =>
    finals.find((p) => {
      const { checkpoint: _checkpoint, bestStep: _bestStep, ...rest } = p.context;
      return canonicalJson(rest) === context;
    })?.value;
  return [valueOf(canonicalJson({ split: 'test' })), valueOf(robust)];
}

const meanOrNull = (values: readonly (number | undefined)[]): number | null =>
  values.some((v) => v === undefined || !Number.isFinite(v))
    ? null
    : (values as number[]).reduce((a, b) => a + b, 0) / values.length;

function entryOf(members: readonly Member[], setting: Record<string, unknown>): Omit<LeaderboardEntry, 'aboveAverage'> {
  const first = members[0] as Member;
  const result = (first.run.result ?? {}) as StoredResult;
  return {
    strategy: first.run.strategy,
    setting,
    runIds: members.map((m) => m.run.id),
    seeds: [...new Set(members.map((m) => m.run.seed))].sort((a, b) => a - b),
    aupf: estimateMean(members.map((m) => m.aupf)),
    frontierBestClean: Math.max(...members.map((m) => m.frontierBest[0])),
    frontierBestRobust: Math.max(...members.map((m) => m.frontierBest[1])),
    bestCheckpointClean: meanOrNull(members.map((m) => m.bestCheckpoint[0])),
    bestCheckpointRobust: meanOrNull(members.map((m) => m.bestCheckpoint[1])),
    architecture: architectureOfRun(first.run) ?? null,
    totalParameters: result.parameters?.total ?? null,
    trainableParameters: result.parameters?.trainable ?? null,
    trainablePercent: result.parameters?.trainablePercent ?? null,
    testSamples: result.data?.test?.evaluated ?? null,
    correlations: meanCorrelations(members.map((m) => m.correlations)),
  };
}

/**
 * Leaderboards from finished runs (protocol.md §7): one board per comparable protocol (protocolOf: backbone, dataset
 * and config, evaluation samples, the attack's full config, accuracy version, training budget), and on it one entry
 * per setting (settingOf), pooling only runs that differ in their seeds. Entries are ranked by mean AUPF with
 * "% above the average" of the board's entries. Frontiers are computed from the stored points: against the robust
 * accuracy of `threat`, or of each run's own frontier when no threat is given; runs that did not measure it are
 * left out. `resolve` completes plugin configs with their defaults, so that a default written out compares equal.
 */
export function leaderboards(
  runs: readonly RunRecord[],
  pointsOf: (runId: string) => readonly MeasuredPoint[],
  options: { threat?: ThreatSelector; resolve?: ConfigResolver } = {},
): LeaderboardBoard[] {
  type Pooled = { setting: Record<string, unknown>; members: Member[] };
  const boards = new Map<
    string,
    { dataset: string; protocol: Protocol; robust: string; entries: Map<string, Pooled> }
  >();
  for (const run of runs) {
    if (run.status !== 'finished') continue;
    const points = pointsOf(run.id);
    const objectives = runObjectives(run, points, options.threat);
    if (objectives === undefined) continue;
    const robust = objectives[1].context ?? '{}';
    const protocol = protocolOf(run, JSON.parse(robust) as MetricContext, options.resolve);
    const frontier = runFrontier(points, objectives);
    const setting = settingOf(run, options.resolve);
    const boardKey = keyOf({ dataset: run.dataset, protocol });
    const board = boards.get(boardKey) ?? { dataset: run.dataset, protocol, robust, entries: new Map() };
    const entry = board.entries.get(keyOf(setting)) ?? { setting, members: [] };
    entry.members.push({
      run,
      aupf: frontier.hypervolume,
      frontierBest: [0, 1].map((i) => Math.max(0, ...frontier.points.map((p) => p.values[i] as number))) as [
        number,
        number,
      ],
      bestCheckpoint: bestCheckpointAccuracy(points, robust),
      correlations: runCorrelations(points),
    });
    board.entries.set(keyOf(setting), entry);
    boards.set(boardKey, board);
  }
  const result = [...boards.values()].map((board) => {
    const entries = [...board.entries.values()].map(({ setting, members }) => entryOf(members, setting));
    const above = aboveAverage(new Map(entries.map((e, i) => [String(i), e.aupf.mean])));
    return {
      dataset: board.dataset,
      protocol: board.protocol,
      robustContext: board.robust,
      differences: differences(entries.map((e) => e.setting)),
      entries: entries
        .map((e, i) => ({ ...e, aboveAverage: above.get(String(i)) as number }))
        .sort((a, b) => b.aupf.mean - a.aupf.mean),
    };
  });
  // Newest accuracy version first within a dataset and threat model.
  const byVersion = (a: LeaderboardBoard, b: LeaderboardBoard): number =>
    b.protocol.accuracyVersion.localeCompare(a.protocol.accuracyVersion, 'en', { numeric: true });
  return result.sort((a, b) =>
    a.dataset !== b.dataset
      ? a.dataset < b.dataset
        ? -1
        : 1
      : a.robustContext !== b.robustContext
        ? a.robustContext < b.robustContext
          ? -1
          : 1
        : byVersion(a, b) || keyOf(a.protocol).localeCompare(keyOf(b.protocol)),
  );
}

/**
 * The correlations an entry's row shows: clean accuracy against all shifts pooled and against the robust accuracy of
 * the board's threat model.
 */
export interface HeadlineCorrelations {
  /** Null where the runs measured no shift. */
  readonly pooledShifts: MeanCorrelation | null;
  readonly robust: MeanCorrelation | null;
}

export function headlineCorrelations(board: LeaderboardBoard, entry: LeaderboardEntry): HeadlineCorrelations {
  const of = (kind: MeanCorrelation['kind'], context: string | null): MeanCorrelation | null =>
    entry.correlations.find(
      (c) => c.kind === kind && (c.context === null ? null : canonicalJson(c.context)) === context,
    ) ?? null;
  return { pooledShifts: of('pooled', null), robust: of('robust', board.robustContext) };
}
