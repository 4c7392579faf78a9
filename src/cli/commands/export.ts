import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runCorrelations } from '../../core/analysis/correlations.js';
import { storedLeaderboardJson } from '../../core/analysis/leaderboard-export.js';
import { ConfigError } from '../../core/contracts/config.js';
import { fileError } from '../../core/contracts/errors.js';
import { databaseFile } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { Store } from '../../core/store/store.js';
import type { RunRecord } from '../../core/store/store.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';

/** RFC 4180 field quoting (a few lines; a CSV library would add a dependency for this alone). */
const csvField = (value: unknown): string => {
  const text =
    value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};
const csv = (header: readonly string[], rows: readonly unknown[][]): string =>
  [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

interface FrontierSummary {
  frontier?: {
    definition: unknown;
    hypervolume: number;
    points: { values: [number, number]; item: { step: number }; contribution: number }[];
  };
}

type Format = 'csv' | 'json';

/** What an export reads: the selected runs and the open store; the registry completes plugin configs. */
interface ExportInput {
  readonly runs: readonly RunRecord[];
  readonly store: Store;
  readonly registry: () => Promise<PluginRegistry>;
}

/** The columns that say which run a row is about, and its values. */
const RUN_COLUMNS = ['run', 'strategy', 'dataset', 'seed'];
const runCells = (run: RunRecord): unknown[] => [run.id, run.strategy, run.dataset, run.seed];
const runFields = (run: RunRecord): Record<string, unknown> => ({
  id: run.id,
  strategy: run.strategy,
  dataset: run.dataset,
  seed: run.seed,
});

function exportPoints({ runs, store }: ExportInput, format: Format): string {
  const perRun = runs.map((run) => ({ run, points: store.points(run.id) }));
  if (format === 'json')
    return json(perRun.map(({ run, points }) => ({ ...runFields(run), status: run.status, points })));
  return csv(
    [...RUN_COLUMNS, 'step', 'epoch', 'metric', 'context', 'value', 'count', 'seconds'],
    perRun.flatMap(({ run, points }) =>
      points.map((p) => [...runCells(run), p.step, p.epoch, p.name, p.context, p.value, p.count, p.seconds]),
    ),
  );
}

function exportFrontiers({ runs }: ExportInput, format: Format): string {
  const frontiers = runs.flatMap((run) => {
    const frontier = (run.result as FrontierSummary | null)?.frontier;
    return frontier === undefined ? [] : [{ run, frontier }];
  });
  if (format === 'json') return json(frontiers.map(({ run, frontier }) => ({ ...runFields(run), ...frontier })));
  return csv(
    [...RUN_COLUMNS, 'step', 'clean_accuracy', 'robust_accuracy', 'contribution', 'aupf'],
    frontiers.flatMap(({ run, frontier }) =>
      frontier.points.map((p) => [
        ...runCells(run),
        p.item.step,
        p.values[0],
        p.values[1],
        p.contribution,
        frontier.hypervolume,
      ]),
    ),
  );
}

/** Per run, clean test accuracy correlated with each shifted and robust accuracy over its logged steps. */
function exportCorrelations({ runs, store }: ExportInput, format: Format): string {
  const perRun = runs.map((run) => ({ run, correlations: runCorrelations(store.points(run.id)) }));
  if (format === 'json') return json(perRun.map(({ run, correlations }) => ({ ...runFields(run), correlations })));
  return csv(
    [...RUN_COLUMNS, 'kind', 'label', 'context', 'pearson', 'spearman', 'steps'],
    perRun.flatMap(({ run, correlations }) =>
      correlations.map((c) => [...runCells(run), c.kind, c.label, c.context, c.pearson, c.spearman, c.steps]),
    ),
  );
}

/** The leaderboard document (storedLeaderboardJson) of the selected runs' boards; JSON only. */
async function exportLeaderboard({ runs, store, registry }: ExportInput, format: Format): Promise<string> {
  if (format !== 'json')
    throw new ConfigError(
      "--format: the leaderboard export is JSON only (its entries nest the protocol and correlations); use '--format json'",
    );
  return storedLeaderboardJson(store, runs, await registry());
}

const EXPORTS = {
  points: exportPoints,
  frontiers: exportFrontiers,
  correlations: exportCorrelations,
  leaderboard: exportLeaderboard,
} satisfies Record<string, (input: ExportInput, format: Format) => string | Promise<string>>;
type What = keyof typeof EXPORTS;
/** The format when none is given: CSV for the tables, JSON for the leaderboard document. */
const defaultFormat = (what: What): Format => (what === 'leaderboard' ? 'json' : 'csv');

/** Writes the export to the file `--out` names. */
function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw fileError(error, `--out ${file}`, 'a path for a new file');
  }
}

/** The runs `--run` or `--experiment` select, or all. */
function selectRuns(store: Store, flags: { experiment?: string; run?: string }): RunRecord[] {
  if (flags.run !== undefined) {
    const run = store.getRun(flags.run);
    if (run === undefined) throw new ConfigError(`no run '${flags.run}' in ${store.file}`);
    return [run];
  }
  const experimentId = flags.experiment === undefined ? undefined : store.experimentIdOf(flags.experiment);
  if (flags.experiment !== undefined && experimentId === undefined)
    throw new ConfigError(`no experiment '${flags.experiment}' in ${store.file}`);
  return store.listRuns(experimentId === undefined ? {} : { experimentId });
}

interface ExportFlags {
  what: string;
  format?: string;
  experiment?: string;
  run?: string;
  out?: string;
  db?: string;
}

export function registerExport(program: Command, io: CliIo): void {
  const kinds = Object.keys(EXPORTS).join(', ');
  program
    .command('export')
    .description(
      'export stored metric points, frontiers, correlations (CSV or JSON) or the leaderboard document (JSON), of all runs, one experiment or one run',
    )
    .option('--what <kind>', kinds, 'points')
    .option('--format <format>', 'csv or json (default: csv; json for the leaderboard)')
    .option('--experiment <name>', 'only the runs of this experiment')
    .option('--run <id>', 'only this run')
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .action(async (flags: ExportFlags, command: Command) => {
      if (!Object.hasOwn(EXPORTS, flags.what)) throw new ConfigError(`--what: '${flags.what}' is not one of ${kinds}`);
      const what = flags.what as What;
      const format = flags.format ?? defaultFormat(what);
      if (format !== 'csv' && format !== 'json') throw new ConfigError(`--format: '${format}' is not one of csv, json`);
      const store = Store.openExisting(flags.db ?? databaseFile(io.env));
      try {
        const registry = async (): Promise<PluginRegistry> =>
          (await containerFor(command.optsWithGlobals<GlobalOptions>(), io)).resolve(PluginRegistry);
        const text = await EXPORTS[what]({ runs: selectRuns(store, flags), store, registry }, format);
        if (flags.out === undefined) io.stdout(text);
        else writeOut(flags.out, text);
      } finally {
        store.close();
      }
    });
}
