import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import type { MetricContext } from '../../core/contracts/metric.js';
import type { MeasuredPoint } from '../../core/evaluation/evaluator.js';
import { headlineCorrelations, leaderboards } from '../../core/analysis/leaderboard.js';
import type { LeaderboardBoard, LeaderboardEntry } from '../../core/analysis/leaderboard.js';
import { differences, registryResolver, settingValues, valueAt } from '../../core/analysis/protocol.js';
import { BackendToken } from '../../core/container.js';
import { databaseFile, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import type { JobEvent, RunJob } from '../../core/execution/job.js';
import { RunQueue } from '../../core/execution/queue.js';
import { executorFor } from '../../core/execution/executor.js';
import type { RunExecutor } from '../../core/execution/executor.js';
import { planExperiment, validateExperiment } from '../../core/execution/stored-run.js';
import type { PlannedRun } from '../../core/execution/stored-run.js';
import { RemoteRunError } from '../../core/execution/thread-pool.js';
import { RunStoppedError } from '../../core/training/trainer.js';
import { readExperiment, stableJson } from '../../core/runs/experiment.js';
import type { Experiment } from '../../core/runs/experiment.js';
import { threatLabel } from '../../core/runs/frontiers.js';
import { writePlots } from '../../core/runs/plots.js';
import { onlyLosses } from '../../core/runs/runner.js';
import { Store } from '../../core/store/store.js';
import type { RunRecord } from '../../core/store/store.js';
import { containerFor, workerSetup } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { parseNumber, parsePositiveInt } from '../options.js';
import { executeRun, summarisePoints } from './run.js';
import { redisUrl } from './worker.js';

/** A protocol field that tells boards apart, e.g. `accuracy@0.2.0` or `model vit-demo-28`. */
function protocolLabel(board: LeaderboardBoard, path: string): string {
  if (path === 'accuracyVersion') return `accuracy@${board.protocol.accuracyVersion || 'unrecorded'}`;
  return `${path} ${JSON.stringify(valueAt(board.protocol, path) ?? null)}`;
}

/** A setting value of an entry, for the paths in which a board's entries differ (strategies aside). */
function settingLabel(entry: LeaderboardEntry, paths: readonly string[]): string {
  const shown = settingValues(entry.setting, paths);
  return shown.length === 0 ? '' : `  ${shown.join(' ')}`;
}

const fixed = (value: number | null, width: number, digits = 4): string =>
  (value === null ? '-' : value.toFixed(digits)).padStart(width);

const CORRELATION_HEADER = ['r shift', 'rho shift', 'r rob', 'rho rob'].map((h) => h.padStart(9)).join(' ');

/** An entry's mean correlations of clean accuracy with the pooled shifts and with the board's robust accuracy. */
function correlationCells(board: LeaderboardBoard, entry: LeaderboardEntry): string {
  const { pooledShifts, robust } = headlineCorrelations(board, entry);
  return [pooledShifts?.pearson, pooledShifts?.spearman, robust?.pearson, robust?.spearman]
    .map((value) => fixed(value ?? null, 9, 2))
    .join(' ');
}

/**
 * The AUPF tables: one per comparable protocol (leaderboards), its entries by AUPF with their percentage above the
 * board's average. Boards of one dataset and threat model are told apart by the protocol fields that differ.
 */
export function formatLeaderboard(boards: readonly LeaderboardBoard[]): string {
  if (boards.length === 0) return 'no finished runs with a frontier (runs need an attack)\n';
  const lines: string[] = [];
  const threatOf = (b: LeaderboardBoard): string => `${b.dataset}\u0000${b.robustContext}`;
  for (const board of boards) {
    const siblings = boards.filter((b) => threatOf(b) === threatOf(board));
    const apart = differences(siblings.map((b) => b.protocol)).map((path) => protocolLabel(board, path));
    const suffix = apart.length === 0 ? '' : ` (${apart.join('; ')}; not comparable with the other boards)`;
    lines.push(
      `${lines.length === 0 ? '' : '\n'}${board.dataset}, robust accuracy under ${threatLabel(JSON.parse(board.robustContext) as MetricContext)}${suffix}`,
      `  ${'strategy'.padEnd(16)} ${'runs'.padStart(4)} ${'AUPF'.padStart(8)} ${'± std'.padStart(8)} ${'vs avg'.padStart(9)} ${'best acc'.padStart(9)} ${'best rob'.padStart(9)} ${'ckpt acc'.padStart(9)} ${'ckpt rob'.padStart(9)} ${CORRELATION_HEADER}`,
    );
    for (const e of board.entries) {
      const above = `${e.aboveAverage >= 0 ? '+' : ''}${e.aboveAverage.toFixed(1)}%`;
      lines.push(
        `  ${e.strategy.padEnd(16)} ${String(e.runIds.length).padStart(4)} ${fixed(e.aupf.mean, 8)} ${fixed(e.aupf.std, 8)} ${above.padStart(9)} ` +
          `${fixed(e.frontierBestClean, 9)} ${fixed(e.frontierBestRobust, 9)} ${fixed(e.bestCheckpointClean, 9)} ${fixed(e.bestCheckpointRobust, 9)} ${correlationCells(board, e)}` +
          settingLabel(e, board.differences),
      );
    }
  }
  lines.push(
    '',
    'best acc/rob: highest on the frontier over the logged steps; ckpt acc/rob: the best-validation checkpoint',
    'r/rho shift, r/rho rob: Pearson/Spearman over the logged steps of clean accuracy with all shifts pooled and with robust accuracy (mean over runs; - where not defined)',
  );
  return `${lines.join('\n')}\n`;
}

export interface ExperimentExecution {
  readonly experiment: Experiment;
  readonly store: Store;
  readonly global: GlobalOptions;
  readonly io: CliIo;
  readonly quiet?: boolean | undefined;
  /** Worker threads running runs in parallel; 1 runs them one after another in this process; default: see defaultWorkers. */
  readonly workers?: number | undefined;
  /** Queue the runs on this Redis for `paretune worker` processes instead (this process records their reports). */
  readonly redis?: string | undefined;
}

/**
 * Runs at a time by default: one per core on the single-threaded backends (wasm, cpu), where each thread with its
 * own backend adds a core; one on the native TensorFlow backends, which use every core (or the GPU) themselves.
 */
export function defaultWorkers(backend: string): number {
  return backend === 'wasm' || backend === 'cpu' ? availableParallelism() : 1;
}

export const WORKERS_HELP = `runs in parallel on worker threads (default: one per core on wasm and cpu, ${availableParallelism()} here; 1 on node and node-gpu; 1 runs them in this process)`;

/** An experiment's runs as planned, with how they are told apart in progress lines. */
interface Plan {
  readonly id: string;
  readonly say: (text: string) => void;
  readonly label: (run: PlannedRun | string) => string;
}

/** What a run is, in its first progress line. */
const describeRun = (run: PlannedRun): string => {
  if (run.action === 'resume') return `resuming run ${run.runId}`;
  const { dataset, strategies, seed } = run.spec as { dataset: unknown; strategies: unknown; seed: unknown };
  return stableJson({ dataset, strategies, seed });
};

const jobOf = (run: PlannedRun, experimentId: string): RunJob => ({
  runId: run.runId,
  spec: run.spec,
  experimentId,
  queuedAt: new Date().toISOString(),
  ...(run.resume === undefined ? {} : { resume: run.resume }),
});

/** Runs the jobs one after another in this process. */
async function executeHere(
  plan: Plan,
  todo: readonly PlannedRun[],
  { store, global, io, quiet }: ExperimentExecution,
): Promise<void> {
  for (const run of todo) {
    plan.say(`${plan.label(run)} ${describeRun(run)}\n`);
    const job = jobOf(run, plan.id);
    await executeRun({
      spec: job.spec,
      runId: job.runId,
      store,
      experimentId: plan.id,
      flags: { quiet, report: false },
      global,
      io,
      ...(job.resume === undefined ? {} : { resume: job.resume }),
    });
  }
}

/** Runs the jobs on an executor (worker threads or Redis workers); Ctrl-C stops each after its current step. */
async function executeOn(executor: RunExecutor, plan: Plan, todo: readonly PlannedRun[]): Promise<RunQueue> {
  const print = (runId: string, event: JobEvent): void => {
    if (event.type === 'started')
      plan.say(
        `${plan.label(runId)} started on ${event.backend}: ${event.totalSteps} steps, ${event.parameters.trainable.toLocaleString('en-US')} trainable parameters\n`,
      );
    else if (event.type === 'evaluation' && !onlyLosses(event.points))
      plan.say(`${plan.label(runId)} ${summarisePoints(event.step, event.points)}\n`);
  };
  const queue = new RunQueue(
    (job, signal, onEvent) =>
      executor.execute(job, signal, (event) => {
        onEvent(event);
        print(job.runId, event);
      }),
    Math.min(executor.concurrency, todo.length),
  );
  const onInterrupt = (): void => void queue.stop();
  process.once('SIGINT', onInterrupt);
  try {
    for (const run of todo) {
      plan.say(`${plan.label(run)} ${describeRun(run)}\n`);
      queue.enqueue(jobOf(run, plan.id));
    }
    await queue.idle();
  } finally {
    process.off('SIGINT', onInterrupt);
    await executor.close();
  }
  return queue;
}

/** Throws when a run was cancelled (the experiment is resumable) or failed. */
function throwUnfinished(queue: RunQueue, todo: readonly PlannedRun[], io: CliIo): void {
  const ended = todo.map((run) => ({ run, progress: queue.progress(run.runId) }));
  const stopped = ended.find((e) => e.progress?.status === 'cancelled');
  if (stopped !== undefined) {
    io.stderr(`paretune: continue the experiment by running it again (cancelled runs resume from their checkpoints)\n`);
    throw new RunStoppedError(stopped.progress?.step ?? 0);
  }
  const failed = ended.filter((e) => e.progress?.status === 'failed');
  if (failed.length > 0) {
    throw new RemoteRunError(
      failed[0]?.run.runId ?? '',
      'RunError',
      `${failed.length} of ${todo.length} runs failed; first: ${failed[0]?.progress?.error ?? 'unknown error'}`,
    );
  }
}

/**
 * Runs an experiment's runs, in parallel on worker threads (or one after another in this process), storing each as
 * it goes from this process only. Finished runs are skipped and interrupted or cancelled ones resumed from their last
 * checkpoint, so running an experiment again continues it. Returns its stored runs.
 */
export async function runExperiment(execution: ExperimentExecution): Promise<{ id: string; runs: RunRecord[] }> {
  const { experiment, store, global, io, quiet, workers: requested, redis } = execution;
  const container = await containerFor(global, io);
  const registry = container.resolve(PluginRegistry);
  const workers = requested ?? defaultWorkers(container.resolve(BackendToken).name);
  // Reach Redis before anything is stored: an unreachable Redis leaves the database as it was.
  const remote =
    redis === undefined
      ? undefined
      : await executorFor({ store, redis: { url: redis, onConnection: (line) => io.stderr(line) } });
  let planned: { id: string; runs: PlannedRun[] };
  try {
    planned = planExperiment(experiment, store, registry);
  } catch (error) {
    await remote?.close();
    throw error;
  }
  const { id, runs } = planned;
  const labels = new Map(runs.map((run, index) => [run.runId, `[${index + 1}/${runs.length}]`]));
  const plan: Plan = {
    id,
    say: (text) => {
      if (!quiet) io.stderr(text);
    },
    label: (run) => labels.get(typeof run === 'string' ? run : run.runId) ?? '',
  };
  for (const run of runs.filter((r) => r.action === 'finished'))
    plan.say(`${plan.label(run)} run ${run.runId} already finished\n`);
  for (const run of runs.filter((r) => r.action === 'running'))
    plan.say(`${plan.label(run)} run ${run.runId} is running in another process; left to it\n`);
  const todo = runs.filter((r) => r.action === 'resume' || r.action === 'new');

  const threads = Math.min(workers, todo.length);
  if (threads <= 1 && remote === undefined) {
    await executeHere(plan, todo, execution);
    return { id, runs: store.listRuns({ experimentId: id }) };
  }
  // Redis: every run goes there at once and workers take them as they free up; this process records their reports.
  plan.say(
    remote === undefined
      ? `running ${todo.length} runs on ${threads} worker threads\n`
      : `queueing ${todo.length} runs on ${redis} for paretune worker processes\n`,
  );
  const executor = remote ?? (await executorFor({ store, threads, setup: workerSetup(global, io) }));
  throwUnfinished(await executeOn(executor, plan, todo), todo, io);
  return { id, runs: store.listRuns({ experimentId: id }) };
}

export function registerExperiment(program: Command, io: CliIo): void {
  program
    .command('experiment <file>')
    .description(
      'run a study (strategies x datasets x seeds x grid, from a JSON or YAML file) sequentially; run it again to resume',
    )
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option(
      '--plots <dir>',
      'where to write the Pareto and curve plots (default: plots/<experiment> in the data directory)',
    )
    .option('--workers <n>', WORKERS_HELP)
    .option(
      '--redis <url>',
      'queue the runs on Redis for `paretune worker` processes (default: PARETUNE_REDIS_URL when set)',
    )
    .option('--json', 'print the leaderboard as JSON')
    .option('--quiet', 'no progress output')
    .action(
      async (
        file: string,
        flags: { db?: string; plots?: string; workers?: string; redis?: string; json?: boolean; quiet?: boolean },
        command: Command,
      ) => {
        const global = command.optsWithGlobals<GlobalOptions>();
        const experiment = readExperiment(file);
        const workers = flags.workers === undefined ? undefined : parsePositiveInt(flags.workers, '--workers');
        // Refused input creates nothing: every run spec is checked before the database is opened.
        const registry = (await containerFor(global, io)).resolve(PluginRegistry);
        validateExperiment(experiment, registry);
        const store = Store.open(flags.db ?? databaseFile(io.env));
        try {
          const redis = redisUrl(flags.redis, io.env);
          const { id, runs } = await runExperiment({
            experiment,
            store,
            global,
            io,
            quiet: flags.quiet,
            ...(workers === undefined ? {} : { workers }),
            ...(redis === undefined ? {} : { redis }),
          });
          const pointsOf = (runId: string): MeasuredPoint[] => store.points(runId);
          const rows = leaderboards(runs, pointsOf, { resolve: registryResolver(registry) });
          const plots = await writePlots(runs, pointsOf, flags.plots ?? join(dataDir(io.env), 'plots', id));
          io.stdout(
            flags.json
              ? `${JSON.stringify({ experiment: id, runs: runs.length, leaderboard: rows, plots }, null, 2)}\n`
              : `experiment ${id}: ${runs.length} runs\n${formatLeaderboard(rows)}plots: ${plots.join(', ')}\n`,
          );
        } finally {
          store.close();
        }
      },
    );

  program
    .command('frontier')
    .description('AUPF and percentage above the average per strategy and dataset, from the stored finished runs')
    .option('--experiment <name>', 'only the runs of this experiment')
    .option('--dataset <name>', 'only this dataset')
    .option(
      '--attack <name>',
      "robust accuracy of this attack (default: each run's frontier: its first attack and threat model)",
    )
    .option('--norm <norm>', 'robust accuracy under this norm (Linf or L2)')
    .option('--eps <radius>', 'robust accuracy at this radius, e.g. 0.0314 or 8/255')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--json', 'print machine-readable JSON')
    .action(
      async (
        flags: {
          experiment?: string;
          dataset?: string;
          attack?: string;
          norm?: string;
          eps?: string;
          db?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const registry = (await containerFor(command.optsWithGlobals<GlobalOptions>(), io)).resolve(PluginRegistry);
        const store = Store.openExisting(flags.db ?? databaseFile(io.env));
        try {
          const experimentId = flags.experiment === undefined ? undefined : store.experimentIdOf(flags.experiment);
          if (flags.experiment !== undefined && experimentId === undefined)
            throw new ConfigError(`no experiment '${flags.experiment}' in ${store.file}`);
          const runs = store.listRuns({
            ...(experimentId === undefined ? {} : { experimentId }),
            ...(flags.dataset === undefined ? {} : { dataset: flags.dataset }),
          });
          const threat =
            flags.attack === undefined && flags.norm === undefined && flags.eps === undefined
              ? undefined
              : {
                  ...(flags.attack === undefined ? {} : { attack: flags.attack }),
                  ...(flags.norm === undefined ? {} : { norm: flags.norm }),
                  ...(flags.eps === undefined ? {} : { eps: parseNumber(flags.eps, '--eps') }),
                };
          const options = { ...(threat === undefined ? {} : { threat }), resolve: registryResolver(registry) };
          const rows = leaderboards(runs, (runId) => store.points(runId), options);
          io.stdout(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLeaderboard(rows));
        } finally {
          store.close();
        }
      },
    );
}
