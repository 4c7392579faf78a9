import { createHash } from 'node:crypto';
import { withoutServerPaths } from '../paths.js';
import { radiusLabel } from '../runs/frontiers.js';
import type { PluginRegistry } from '../registry/registry.js';
import type { RunRecord, Store } from '../store/store.js';
import { headlineCorrelations, leaderboards } from './leaderboard.js';
import type { LeaderboardBoard, LeaderboardEntry } from './leaderboard.js';
import type { MeanCorrelation } from './correlations.js';
import { keyOf, registryResolver, settingValues } from './protocol.js';
import type { Protocol } from './protocol.js';

/** Names the document's layout; raised when a field changes meaning or goes away. */
export const LEADERBOARD_FORMAT = 'paretune-leaderboard/1';

/** A mean correlation of clean test accuracy with another accuracy, as the document writes it. */
export interface DocumentCorrelation {
  readonly kind: MeanCorrelation['kind'];
  readonly label: string;
  readonly context: Record<string, unknown> | null;
  readonly pearson: number | null;
  readonly spearman: number | null;
  /** Runs the means are over (those where the correlation is defined). */
  readonly runs: number;
}

/**
 * One board entry, in the spirit of RobustBench's model_info files: what was measured (dataset, backbone, threat
 * model with the attack's full config), the headline numbers, and where they came from. Accuracies are fractions.
 */
export interface LeaderboardDocumentEntry {
  /** Stable over exports: a digest of the dataset, protocol and setting (not of the runs or rank). */
  readonly id: string;
  /** The strategy, with the setting values that tell it from the board's other entries. */
  readonly name: string;
  readonly rank: number;
  readonly strategy: string;
  readonly dataset: string;
  readonly model: string;
  readonly architecture: { imageSize: number; patchSize: number; width: number; depth: number } | null;
  readonly threatModel: string;
  /** The radius as `k/255` (or the number where it is not a whole pixel level), and as a number. */
  readonly eps: string;
  readonly epsValue: number;
  readonly attack: Protocol['attack'];
  /** Mean test accuracy of the runs' best-validation checkpoints (the model a study reports); null if one lacks it. */
  readonly cleanAccuracy: number | null;
  readonly robustAccuracy: number | null;
  /** Highest accuracy of each objective among the logged steps on the runs' frontiers (not one model). */
  readonly frontierBest: { cleanAccuracy: number; robustAccuracy: number };
  readonly aupf: { mean: number; std: number | null; ci95: { low: number; high: number } | null };
  /** Percent above the mean AUPF of the board's entries. */
  readonly aboveAverage: number;
  readonly parameters: { total: number | null; trainable: number | null; trainablePercent: number | null };
  readonly testSamples: number | null;
  readonly seeds: readonly number[];
  readonly runIds: readonly string[];
  readonly protocol: Protocol;
  /** The spec the entry's runs share, and the setting paths in which the board's entries differ. */
  readonly setting: Record<string, unknown>;
  readonly boardDifferences: readonly string[];
  readonly correlations: {
    readonly pooledShifts: DocumentCorrelation | null;
    readonly robust: DocumentCorrelation | null;
    readonly all: readonly DocumentCorrelation[];
  };
  /** What measured the runs, from their records: each list sorted, without repeats. */
  readonly provenance: { paretune: string[]; plugins: string[]; backends: string[] };
}

export interface LeaderboardDocument {
  readonly format: typeof LEADERBOARD_FORMAT;
  /** Boards in leaderboards' order (dataset, threat model, protocol), each board's entries by rank. */
  readonly entries: readonly LeaderboardDocumentEntry[];
}

const correlationOf = (c: MeanCorrelation | null): DocumentCorrelation | null =>
  c === null
    ? null
    : { kind: c.kind, label: c.label, context: c.context, pearson: c.pearson, spearman: c.spearman, runs: c.runs };

const distinct = (values: readonly (string | null)[]): string[] =>
  [...new Set(values.filter((v): v is string => v !== null))].sort();

function provenanceOf(
  entry: LeaderboardEntry,
  runs: ReadonlyMap<string, RunRecord>,
): LeaderboardDocumentEntry['provenance'] {
  const records = entry.runIds.flatMap((id) => runs.get(id) ?? []);
  return {
    paretune: distinct(records.map((r) => r.paretuneVersion)),
    plugins: distinct(records.flatMap((r) => r.plugins)),
    backends: distinct(records.map((r) => r.backend)),
  };
}

/** The backbone's shape, named as the API names it (width, depth). */
function architectureOf({ architecture }: LeaderboardEntry): LeaderboardDocumentEntry['architecture'] {
  if (architecture === null) return null;
  const { imageSize, patchSize, hiddenSize, numLayers } = architecture;
  return { imageSize, patchSize, width: hiddenSize, depth: numLayers };
}

function documentEntry(
  board: LeaderboardBoard,
  entry: LeaderboardEntry,
  rank: number,
  runs: ReadonlyMap<string, RunRecord>,
): LeaderboardDocumentEntry {
  const { attack } = board.protocol;
  const apart = settingValues(entry.setting, board.differences);
  const headline = headlineCorrelations(board, entry);
  return {
    id: createHash('sha256')
      .update(keyOf({ dataset: board.dataset, protocol: board.protocol, setting: entry.setting }))
      .digest('hex')
      .slice(0, 16),
    name: apart.length === 0 ? entry.strategy : `${entry.strategy} (${apart.join(', ')})`,
    rank,
    strategy: entry.strategy,
    dataset: board.dataset,
    model: board.protocol.model,
    architecture: architectureOf(entry),
    threatModel: attack.norm,
    eps: radiusLabel(attack.eps),
    epsValue: attack.eps,
    attack,
    cleanAccuracy: entry.bestCheckpointClean,
    robustAccuracy: entry.bestCheckpointRobust,
    frontierBest: { cleanAccuracy: entry.frontierBestClean, robustAccuracy: entry.frontierBestRobust },
    aupf: {
      mean: entry.aupf.mean,
      std: entry.aupf.std,
      ci95: entry.aupf.ci95 === null ? null : { low: entry.aupf.ci95[0], high: entry.aupf.ci95[1] },
    },
    aboveAverage: entry.aboveAverage,
    parameters: {
      total: entry.totalParameters,
      trainable: entry.trainableParameters,
      trainablePercent: entry.trainablePercent,
    },
    testSamples: entry.testSamples,
    seeds: entry.seeds,
    runIds: [...entry.runIds].sort(),
    protocol: board.protocol,
    setting: entry.setting,
    boardDifferences: board.differences,
    correlations: {
      pooledShifts: correlationOf(headline.pooledShifts),
      robust: correlationOf(headline.robust),
      all: entry.correlations.map(correlationOf) as DocumentCorrelation[],
    },
    provenance: provenanceOf(entry, runs),
  };
}

/**
 * The leaderboard document a site publishes: one entry per board entry of `boards` (see leaderboards), with the
 * provenance read from `runs` (the records of the boards' runs). No server paths and no time of export, so that two
 * exports of one database are the same document.
 */
export function leaderboardDocument(
  boards: readonly LeaderboardBoard[],
  runs: readonly RunRecord[],
): LeaderboardDocument {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const entries = boards.flatMap((board) => board.entries.map((e, i) => documentEntry(board, e, i + 1, byId)));
  return withoutServerPaths({ format: LEADERBOARD_FORMAT, entries });
}

/** A value with every object's fields in sorted order (JSON.stringify then writes them so, dropping undefined). */
const sortedFields = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortedFields);
  if (typeof value !== 'object' || value === null) return value;
  const fields = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(fields.map(([k, v]) => [k, sortedFields(v)]));
};

/** The document as JSON with sorted fields, two-space indented and ending in a newline: byte-stable for diffs. */
export function leaderboardJson(document: LeaderboardDocument): string {
  return `${JSON.stringify(sortedFields(document), null, 2)}\n`;
}

/** The leaderboard document of the boards of these stored runs, as leaderboardJson writes it. */
export function storedLeaderboardJson(store: Store, runs: readonly RunRecord[], registry: PluginRegistry): string {
  const boards = leaderboards(runs, (runId) => store.points(runId), { resolve: registryResolver(registry) });
  return leaderboardJson(leaderboardDocument(boards, runs));
}
