import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import type { MetricContext } from '../../core/contracts/metric.js';
import type { MeasuredPoint } from '../../core/evaluation/evaluator.js';
import { databaseFile, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { planExperiment } from '../../core/runs/execution.js';
import { readExperiment, stableJson } from '../../core/runs/experiment.js';
import type { Experiment } from '../../core/runs/experiment.js';
import { threatLabel } from '../../core/runs/frontiers.js';
import { leaderboard } from '../../core/runs/leaderboard.js';
import type { LeaderboardRow } from '../../core/runs/leaderboard.js';
import { writePlots } from '../../core/runs/plots.js';
import { Store } from '../../core/store/store.js';
import type { RunRecord } from '../../core/store/store.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { parseNumber } from '../options.js';
import { executeRun } from './run.js';

/** The AUPF table: per dataset and threat model, strategies by AUPF with their percentage above the board's average. */
export function formatLeaderboard(rows: readonly LeaderboardRow[]): string {
  if (rows.length === 0) return 'no finished runs with a frontier (runs need an attack)\n';
  const lines: string[] = [];
  let board = '';
  for (const r of rows) {
    if (`${r.dataset}\u0000${r.robustContext}` !== board) {
      board = `${r.dataset}\u0000${r.robustContext}`;
      lines.push(
        `${lines.length === 0 ? '' : '\n'}${r.dataset}, robust accuracy under ${threatLabel(JSON.parse(r.robustContext) as MetricContext)}`,
        `  ${'strategy'.padEnd(16)} ${'runs'.padStart(4)} ${'AUPF'.padStart(8)} ${'± std'.padStart(8)} ${'vs avg'.padStart(9)} ${'best acc'.padStart(9)} ${'best rob'.padStart(9)}`,
      );
    }
    const above = `${r.aboveAverage >= 0 ? '+' : ''}${r.aboveAverage.toFixed(1)}%`;
    lines.push(`  ${r.strategy.padEnd(16)} ${String(r.runs).padStart(4)} ${r.aupf.toFixed(4).padStart(8)} ${r.aupfStd.toFixed(4).padStart(8)} ${above.padStart(9)} ${r.bestClean.toFixed(4).padStart(9)} ${r.bestRobust.toFixed(4).padStart(9)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ExperimentExecution {
  readonly experiment: Experiment;
  readonly store: Store;
  readonly global: GlobalOptions;
  readonly io: CliIo;
  readonly quiet?: boolean;
}

/**
 * Runs an experiment's runs one after another, storing each as it goes. Finished runs are skipped and interrupted
 * ones resumed from their last checkpoint, so running an experiment again continues it. Returns its stored runs.
 */
export async function runExperiment({ experiment, store, global, io, quiet }: ExperimentExecution): Promise<{ id: string; runs: RunRecord[] }> {
  const registry = (await containerFor(global, io)).resolve(PluginRegistry);
  const { id, runs } = planExperiment(experiment, store, registry);
  for (const [index, { spec, runId, action, resume }] of runs.entries()) {
    const label = `[${index + 1}/${runs.length}]`;
    if (action === 'finished') {
      if (!quiet) io.stderr(`${label} run ${runId} already finished\n`);
      continue;
    }
    if (!quiet) io.stderr(action === 'resume' ? `${label} resuming run ${runId}\n` : `${label} ${stableJson({ dataset: (spec as { dataset: unknown }).dataset, strategies: (spec as { strategies: unknown }).strategies, seed: (spec as { seed: unknown }).seed })}\n`);
    await executeRun({ spec, runId, store, experimentId: id, flags: { quiet, report: false }, global, io, ...(resume === undefined ? {} : { resume }) });
  }
  return { id, runs: store.listRuns({ experimentId: id }) };
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
      const store = Store.open(flags.db ?? databaseFile(io.env));
      try {
        const { id, runs } = await runExperiment({ experiment, store, global: command.optsWithGlobals<GlobalOptions>(), io, quiet: flags.quiet });
        const pointsOf = (runId: string): MeasuredPoint[] => store.points(runId);
        const rows = leaderboard(runs, pointsOf);
        const plots = await writePlots(runs, pointsOf, flags.plots ?? join(dataDir(io.env), 'plots', id));
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
    .option('--attack <name>', 'robust accuracy of this attack (default: each run\'s frontier: its first attack and threat model)')
    .option('--norm <norm>', 'robust accuracy under this norm (Linf or L2)')
    .option('--eps <radius>', 'robust accuracy at this radius, e.g. 0.0314 or 8/255')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--json', 'print machine-readable JSON')
    .action((flags: { experiment?: string; dataset?: string; attack?: string; norm?: string; eps?: string; db?: string; json?: boolean }) => {
      const store = Store.open(flags.db ?? databaseFile(io.env));
      try {
        const experimentId = flags.experiment === undefined ? undefined : store.listExperiments().find((e) => e.name === flags.experiment || e.id === flags.experiment)?.id;
        if (flags.experiment !== undefined && experimentId === undefined) throw new ConfigError(`no experiment '${flags.experiment}' in ${store.file}`);
        const runs = store.listRuns({ ...(experimentId === undefined ? {} : { experimentId }), ...(flags.dataset === undefined ? {} : { dataset: flags.dataset }) });
        const threat = flags.attack === undefined && flags.norm === undefined && flags.eps === undefined
          ? undefined
          : { ...(flags.attack === undefined ? {} : { attack: flags.attack }), ...(flags.norm === undefined ? {} : { norm: flags.norm }), ...(flags.eps === undefined ? {} : { eps: parseNumber(flags.eps, '--eps') }) };
        const rows = leaderboard(runs, (runId) => store.points(runId), threat);
        io.stdout(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLeaderboard(rows));
      } finally {
        store.close();
      }
    });
}
