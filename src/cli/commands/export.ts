import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import { fileError } from '../../core/contracts/errors.js';
import { databaseFile } from '../../core/paths.js';
import { Store } from '../../core/store/store.js';
import type { RunRecord } from '../../core/store/store.js';
import type { CliIo } from '../context.js';

/** RFC 4180 field quoting (a few lines; a CSV library would add a dependency for this alone). */
const csvField = (value: unknown): string => {
  const text =
    value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};
const csv = (header: readonly string[], rows: readonly unknown[][]): string =>
  [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';

interface FrontierSummary {
  frontier?: {
    definition: unknown;
    hypervolume: number;
    points: { values: [number, number]; item: { step: number }; contribution: number }[];
  };
}

/** Writes the export to the file `--out` names. */
function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw fileError(error, `--out ${file}`, 'a path for a new file');
  }
}

export function registerExport(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('export stored metric points or frontiers as CSV or JSON (all runs, one experiment, or one run)')
    .option('--what <kind>', 'points or frontiers', 'points')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--experiment <name>', 'only the runs of this experiment')
    .option('--run <id>', 'only this run')
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .action((flags: { what: string; format: string; experiment?: string; run?: string; out?: string; db?: string }) => {
      if (!['points', 'frontiers'].includes(flags.what))
        throw new ConfigError(`--what: '${flags.what}' is not one of points, frontiers`);
      if (!['csv', 'json'].includes(flags.format))
        throw new ConfigError(`--format: '${flags.format}' is not one of csv, json`);
      const store = Store.openExisting(flags.db ?? databaseFile(io.env));
      try {
        let runs: RunRecord[];
        if (flags.run !== undefined) {
          const run = store.getRun(flags.run);
          if (run === undefined) throw new ConfigError(`no run '${flags.run}' in ${store.file}`);
          runs = [run];
        } else {
          const experimentId =
            flags.experiment === undefined
              ? undefined
              : store.listExperiments().find((e) => e.name === flags.experiment || e.id === flags.experiment)?.id;
          if (flags.experiment !== undefined && experimentId === undefined)
            throw new ConfigError(`no experiment '${flags.experiment}' in ${store.file}`);
          runs = store.listRuns(experimentId === undefined ? {} : { experimentId });
        }
        let text: string;
        if (flags.what === 'points') {
          const perRun = runs.map((r) => ({ run: r, points: store.points(r.id) }));
          text =
            flags.format === 'json'
              ? `${JSON.stringify(
                  perRun.map(({ run, points }) => ({
                    id: run.id,
                    strategy: run.strategy,
                    dataset: run.dataset,
                    seed: run.seed,
                    status: run.status,
                    points,
                  })),
                  null,
                  2,
                )}\n`
              : csv(
                  [
                    'run',
                    'strategy',
                    'dataset',
                    'seed',
                    'step',
                    'epoch',
                    'metric',
                    'context',
                    'value',
                    'count',
                    'seconds',
                  ],
                  perRun.flatMap(({ run, points }) =>
                    points.map((p) => [
                      run.id,
                      run.strategy,
                      run.dataset,
                      run.seed,
                      p.step,
                      p.epoch,
                      p.name,
                      p.context,
                      p.value,
                      p.count,
                      p.seconds,
                    ]),
                  ),
                );
        } else {
          const frontiers = runs.flatMap((r) => {
            const frontier = (r.result as FrontierSummary | null)?.frontier;
            return frontier === undefined ? [] : [{ run: r, frontier }];
          });
          text =
            flags.format === 'json'
              ? `${JSON.stringify(
                  frontiers.map(({ run, frontier }) => ({
                    id: run.id,
                    strategy: run.strategy,
                    dataset: run.dataset,
                    seed: run.seed,
                    ...frontier,
                  })),
                  null,
                  2,
                )}\n`
              : csv(
                  [
                    'run',
                    'strategy',
                    'dataset',
                    'seed',
                    'step',
                    'clean_accuracy',
                    'robust_accuracy',
                    'contribution',
                    'aupf',
                  ],
                  frontiers.flatMap(({ run, frontier }) =>
                    frontier.points.map((p) => [
                      run.id,
                      run.strategy,
                      run.dataset,
                      run.seed,
                      p.item.step,
                      p.values[0],
                      p.values[1],
                      p.contribution,
                      frontier.hypervolume,
                    ]),
                  ),
                );
        }
        if (flags.out === undefined) io.stdout(text);
        else writeOut(flags.out, text);
      } finally {
        store.close();
      }
    });
}
