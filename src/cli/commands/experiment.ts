import { randomUUID } from 'node:crypto';
import { ConfigError } from '../../core/contracts/config.js';
import type { Command } from 'commander';
import { join } from 'node:path';
import { databaseFile, dataDir } from '../../core/paths.js';
import { writePlots } from '../../core/runs/plots.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { expandExperiment, readExperiment, stableJson } from '../../core/runs/experiment.js';
import { resolveRun } from '../../core/runs/spec.js';
import { leaderboard } from '../../core/runs/leaderboard.js';
import type { LeaderboardRow } from '../../core/runs/leaderboard.js';
import { Store } from '../../core/store/store.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { executeRun } from './run.js';

/** The AUPF table: per dataset, strategies by AUPF with their percentage above the dataset's average. */
export function formatLeaderboard(rows: readonly LeaderboardRow[]): string {
  if (rows.length === 0) return 'no finished runs with a frontier (runs need an attack)\n';
  const lines = [`${'dataset'.padEnd(16)} ${'strategy'.padEnd(16)} ${'runs'.padStart(4)} ${'AUPF'.padStart(8)} ${'± std'.padStart(8)} ${'vs avg'.padStart(9)} ${'best acc'.padStart(9)} ${'best rob'.padStart(9)}`];
  for (const r of rows) {
    const above = `${r.aboveAverage >= 0 ? '+' : ''}${r.aboveAverage.toFixed(1)}%`;
    lines.push(`${r.dataset.padEnd(16)} ${r.strategy.padEnd(16)} ${String(r.runs).padStart(4)} ${r.aupf.toFixed(4).padStart(8)} ${r.aupfStd.toFixed(4).padStart(8)} ${above.padStart(9)} ${r.bestClean.toFixed(4).padStart(9)} ${r.bestRobust.toFixed(4).padStart(9)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerExperiment(program: Command, io: CliIo): void {
  program
    .command('experiment <file>')
    .description('run a study (strategies x datasets x seeds x grid, from a JSON or YAML file) sequentially; run it again to resume')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--plots <dir>', 'where to write the Pareto and curve plots (default: plots/<experiment> in the data directory)')
    .option('--json', 'print the leaderboard as JSON')
    .option('--quiet', 'no progress output')
    .action(async (file: string, flags: { db?: string; plots?: string; json?: boolean; quiet?: boolean }, command: Command) => {
      const experiment = readExperiment(file);
      const global = command.optsWithGlobals<GlobalOptions>();
      // Every run spec and plugin config is validated before anything is stored.
      const runs = expandExperiment(experiment);
      const registry = (await containerFor(global, io)).resolve(PluginRegistry);
      for (const { spec } of runs) resolveRun(spec, registry);
      const store = Store.open(flags.db ?? databaseFile(io.env));
      try {
        const { id } = store.experiment(experiment.name, stableJson(experiment));
        for (const [index, { spec, key }] of runs.entries()) {
          const previous = store.listRuns({ experimentId: id }).find((r) => stableJson(r.spec) === key && r.status !== 'failed');
          const label = `[${index + 1}/${runs.length}]`;
          if (previous?.status === 'finished') {
            if (!flags.quiet) io.stderr(`${label} run ${previous.id} already finished\n`);
            continue;
          }
          const checkpoint = previous === undefined ? undefined : store.latestCheckpoint(previous.id);
          if (previous !== undefined && previous.interrupted && checkpoint !== undefined) {
            if (!flags.quiet) io.stderr(`${label} resuming run ${previous.id}\n`);
            const points = store.points(previous.id).filter((p) => p.step <= checkpoint.step && p.context['checkpoint'] === undefined);
            await executeRun({ spec, runId: previous.id, store, experimentId: id, flags: { quiet: flags.quiet, report: false }, global, io, resume: { file: checkpoint.path, points } });
            continue;
          }
          if (!flags.quiet) io.stderr(`${label} ${stableJson({ dataset: (spec as { dataset: unknown }).dataset, strategies: (spec as { strategies: unknown }).strategies, seed: (spec as { seed: unknown }).seed })}\n`);
          await executeRun({ spec, runId: randomUUID(), store, experimentId: id, flags: { quiet: flags.quiet, report: false }, global, io });
        }
        const stored = store.listRuns({ experimentId: id });
        const rows = leaderboard(stored);
        const plots = await writePlots(stored, (runId) => store.points(runId), flags.plots ?? join(dataDir(io.env), 'plots', id));
        io.stdout(
          flags.json
            ? `${JSON.stringify({ experiment: id, runs: runs.length, leaderboard: rows, plots }, null, 2)}\n`
            : `experiment ${id}: ${runs.length} runs\n${formatLeaderboard(rows)}plots: ${plots.join(', ')}\n`,
        );
      } finally {
        store.close();
      }
    });

  program
    .command('frontier')
    .description('AUPF and percentage above the average per strategy and dataset, from the stored finished runs')
    .option('--experiment <name>', 'only the runs of this experiment')
    .option('--dataset <name>', 'only this dataset')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--json', 'print machine-readable JSON')
    .action((flags: { experiment?: string; dataset?: string; db?: string; json?: boolean }) => {
      const store = Store.open(flags.db ?? databaseFile(io.env));
      try {
        const experimentId = flags.experiment === undefined ? undefined : store.listExperiments().find((e) => e.name === flags.experiment || e.id === flags.experiment)?.id;
        if (flags.experiment !== undefined && experimentId === undefined) throw new ConfigError(`no experiment '${flags.experiment}' in ${store.file}`);
        const rows = leaderboard(store.listRuns({ ...(experimentId === undefined ? {} : { experimentId }), ...(flags.dataset === undefined ? {} : { dataset: flags.dataset }) }));
        io.stdout(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLeaderboard(rows));
      } finally {
        store.close();
      }
    });
}
