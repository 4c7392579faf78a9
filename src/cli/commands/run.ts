import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import type { MeasuredPoint } from '../../core/evaluation/evaluator.js';
import { cacheDir, databaseFile, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import type { JobEvent, RunJob, RunResume } from '../../core/execution/job.js';
import { runJob } from '../../core/execution/run-job.js';
import { executeStoredRun, resumeOf } from '../../core/execution/stored-run.js';
import { resolveRun } from '../../core/runs/spec.js';
import { assertWritable } from '../../core/runs/outputs.js';
import { onlyLosses, RunFailedError } from '../../core/runs/runner.js';
import { RunStoppedError } from '../../core/training/trainer.js';
import type { RunContext, RunResult } from '../../core/runs/runner.js';
import { Store } from '../../core/store/store.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import {
  addMeasurementOptions,
  attackRefs,
  collect,
  nameList,
  parseJsonObject,
  parseNumber,
  parseNumberList,
  parsePositiveInt,
  pluginRefs,
  readJsonFile,
  shiftRefs,
} from '../options.js';
import type { MeasurementFlags } from '../options.js';
import { progressBars } from '../progress.js';

interface RunFlags extends MeasurementFlags {
  spec?: string;
  model?: string;
  dataset?: string;
  datasetConfig?: string;
  strategy: string[];
  config?: string;
  steps?: string;
  epochs?: string;
  batchSize?: string;
  microBatch?: string;
  lr?: string;
  weightDecay?: string;
  schedule?: string;
  warmup?: string;
  evalSchedule?: string;
  trainSample?: string;
  testSample?: string;
  seed?: string;
  saveAdaptation?: string;
  db?: string;
  json?: boolean;
  quiet?: boolean;
}

const sample = (text: string, flag: string): number | 'all' => (text === 'all' ? 'all' : parsePositiveInt(text, flag));

/** The run spec from `--spec` (if any) with the flags laid over it. */
function specFrom(flags: RunFlags): Record<string, unknown> {
  const spec: Record<string, unknown> =
    flags.spec === undefined ? {} : readJsonFile(flags.spec, '--spec', 'a JSON run spec');
  const training = { ...(spec['training'] as object | undefined) } as Record<string, unknown>;
  const evaluation = { ...(spec['evaluation'] as object | undefined) } as Record<string, unknown>;
  if (flags.model !== undefined) spec['model'] = flags.model;
  if (flags.dataset !== undefined) {
    const config = parseJsonObject(flags.datasetConfig, '--dataset-config');
    spec['dataset'] = flags.datasetConfig === undefined ? flags.dataset : { name: flags.dataset, config };
  }
  if (flags.strategy.length > 0)
    spec['strategies'] = pluginRefs(nameList(flags.strategy), parseJsonObject(flags.config, '--config'), '--config');
  const attacks = attackRefs(flags);
  if (attacks !== undefined) spec['attacks'] = attacks;
  if (flags.shift.length > 0) spec['shifts'] = shiftRefs(flags);
  if (flags.steps !== undefined) training['steps'] = parsePositiveInt(flags.steps, '--steps');
  if (flags.epochs !== undefined) training['epochs'] = parseNumber(flags.epochs, '--epochs');
  if (flags.batchSize !== undefined) training['batchSize'] = parsePositiveInt(flags.batchSize, '--batch-size');
  if (flags.microBatch !== undefined) {
    training['microBatch'] = parsePositiveInt(flags.microBatch, '--micro-batch');
    evaluation['microBatch'] = training['microBatch'];
  }
  if (flags.lr !== undefined) training['learningRate'] = parseNumber(flags.lr, '--lr');
  if (flags.weightDecay !== undefined) training['weightDecay'] = parseNumber(flags.weightDecay, '--weight-decay');
  if (flags.schedule !== undefined) training['schedule'] = flags.schedule;
  if (flags.warmup !== undefined) training['warmupSteps'] = parseNumber(flags.warmup, '--warmup');
  if (flags.evalSchedule !== undefined)
    evaluation['schedule'] = /^(code|paper)$/.test(flags.evalSchedule)
      ? flags.evalSchedule
      : parseNumberList(flags.evalSchedule, '--eval-schedule');
  if (flags.trainSample !== undefined) evaluation['trainSample'] = sample(flags.trainSample, '--train-sample');
  if (flags.testSample !== undefined) evaluation['testSample'] = sample(flags.testSample, '--test-sample');
  if (flags.seed !== undefined) spec['seed'] = parseNumber(flags.seed, '--seed');
  return { ...spec, training, evaluation };
}

/** One line per evaluation point: the test, robust and shift accuracies. */
export function summarisePoints(step: number, points: readonly MeasuredPoint[]): string {
  const parts = points
    .filter((p) => p.name === 'accuracy' && p.context['variant'] === undefined)
    .map((p) => {
      const { split, attack, eps, shift, checkpoint } = p.context;
      const label =
        attack !== undefined
          ? `${attack}@${Number(eps).toFixed(4)}`
          : shift !== undefined
            ? String(shift)
            : String(split);
      return `${checkpoint === 'best' ? 'best ' : ''}${label} ${p.value.toFixed(4)}`;
    });
  return `step ${String(step).padStart(6)}  ${parts.join('  ')}`;
}

export function registerRun(program: Command, io: CliIo): void {
  const runCommand = program
    .command('run')
    .description(
      'fine-tune a backbone with a strategy on a dataset, measuring accuracy, PGD robustness and shifts at scheduled steps',
    )
    .option('--spec <file>', 'run spec (JSON); flags override its fields')
    .option(
      '--model <source>',
      'backbone: preset, safetensors checkpoint or hf:<owner>/<repo> (default vit-base-patch16-224)',
    )
    .option('--dataset <name>', 'dataset plugin')
    .option('--dataset-config <json>', 'dataset config, e.g. \'{"domain":"sketch"}\'')
    .option('--strategy <name>', 'strategy; stack with + or by repeating', collect, [])
    .option('--config <json>', 'strategy configs by name, e.g. \'{"lora":{"rank":4}}\'');
  addMeasurementOptions(runCommand)
    .option('--steps <n>', 'optimiser steps (overrides --epochs)')
    .option('--epochs <n>', 'epochs over the training part (default 3)')
    .option('--batch-size <n>', 'training batch size (default 128)')
    .option('--micro-batch <n>', 'images per forward/backward pass in training and evaluation (default: what fits)')
    .option('--lr <rate>', 'peak learning rate (default by strategy: 2e-5 full, 5e-3 others)')
    .option('--weight-decay <wd>', 'AdamW weight decay (default 0.01 full, 0 others)')
    .option('--schedule <name>', 'linear, cosine or constant (default linear for full, cosine otherwise)')
    .option('--warmup <steps>', 'warmup steps (default 0 for full, 800 otherwise)')
    .option('--eval-schedule <s>', 'code, paper, or a list of steps like 0,50,100 (default code)')
    .option('--train-sample <n>', "train images for train accuracy, or 'all' (default 1024)")
    .option('--test-sample <n>', "test images, or 'all' (default all)")
    .option('--seed <n>', 'seed of every random choice (default 0)')
    .option(
      '--save-adaptation <file>',
      'save the fine-tuned parameters (best-validation checkpoint) to a safetensors file',
    )
    .option(
      '--db <file>',
      'database to store the run in (default: PARETUNE_DB, else paretune.db in the data directory)',
    )
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress output')
    .action(async (flags: RunFlags, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const spec = specFrom(flags);
      // Refused input creates nothing: the spec and the output path are checked before the database is opened.
      resolveRun(spec, (await containerFor(global, io)).resolve(PluginRegistry));
      if (flags.saveAdaptation !== undefined) assertWritable(flags.saveAdaptation, 'file', '--save-adaptation');
      const store = Store.open(flags.db ?? databaseFile(io.env));
      try {
        await executeRun({ spec, runId: randomUUID(), store, flags, global, io });
      } finally {
        store.close();
      }
    });

  program
    .command('resume <run>')
    .description(
      'continue a run that was interrupted (killed or Ctrl-C) from its last checkpoint, keeping its stored points',
    )
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress output')
    .action(async (id: string, flags: { db?: string; json?: boolean; quiet?: boolean }, command: Command) => {
      const store = Store.openExisting(flags.db ?? databaseFile(io.env));
      try {
        // Checked and claimed in one write transaction: a second resume (or an experiment) cannot take it meanwhile.
        const { run, resume } = store.exclusively(() => {
          const stored = store.getRun(id);
          if (stored === undefined) throw new ConfigError(`no run '${id}' in ${store.file}`);
          if (stored.status === 'finished') throw new ConfigError(`run ${id} already finished; nothing to resume`);
          if (stored.status === 'failed')
            throw new ConfigError(`run ${id} failed (${stored.error}); resuming would fail again, start a new run`);
          if (stored.status === 'running' && !stored.interrupted)
            throw new ConfigError(`run ${id} is running in another process; stop it there first`);
          const checkpoint = store.latestCheckpoint(id);
          if (checkpoint === undefined)
            throw new ConfigError(
              `run ${id} stopped before its first checkpoint (written after each evaluation); start it again with paretune run`,
            );
          if (!store.takeOver(id))
            throw new ConfigError(`run ${id} is running in another process; stop it there first`);
          // Points measured after the checkpoint are measured again (and overwrite the stored ones).
          return { run: stored, resume: resumeOf(store, id, checkpoint) };
        });
        await executeRun({
          spec: run.spec,
          runId: id,
          store,
          flags,
          global: command.optsWithGlobals<GlobalOptions>(),
          io,
          resume,
        });
      } finally {
        store.close();
      }
    });
}

export interface Execution {
  readonly spec: unknown;
  readonly runId: string;
  readonly store: Store;
  readonly experimentId?: string;
  /** `report: false` prints no result (experiments print one table at the end). */
  readonly flags: {
    json?: boolean;
    quiet?: boolean | undefined;
    saveAdaptation?: string | undefined;
    report?: boolean;
  };
  readonly global: GlobalOptions;
  readonly io: CliIo;
  readonly resume?: RunResume;
  /** Save the trained model's base weights as a checkpoint (see RunContext.saveModel). */
  readonly saveModel?: RunContext['saveModel'];
}

/** A run's progress on stderr: its model and size, a progress bar on a terminal, a line per evaluation. */
class RunProgress {
  private bar: cliProgress.SingleBar | undefined;
  /** Whether the run started (it measured or may measure points), as opposed to failing while it loaded. */
  started = false;

  constructor(
    private readonly io: CliIo,
    private readonly quiet: boolean,
    private readonly resumedFrom: string | undefined,
    private readonly runId: string,
  ) {}

  readonly onEvent = (event: JobEvent): void => {
    if (event.type === 'started') this.started = true;
    if (this.quiet) return;
    if (event.type === 'started') this.begin(event);
    else if (event.type === 'step') {
      this.bar?.update(event.step, { loss: event.loss.toFixed(4), lr: event.learningRate.toExponential(2) });
    } else if (event.type === 'evaluation' && !onlyLosses(event.points)) {
      const { bar } = this;
      bar?.stop();
      this.io.stderr(`${summarisePoints(event.step, event.points)}\n`);
      if (bar !== undefined && event.step < bar.getTotal()) bar.start(bar.getTotal(), event.step);
    }
  };

  stop(): void {
    this.bar?.stop();
  }

  private begin(event: Extract<JobEvent, { type: 'started' }>): void {
    const p = event.parameters;
    this.io.stderr(
      `${this.resumedFrom === undefined ? '' : `resuming run ${this.runId} from ${this.resumedFrom}\n`}model ${event.model}\n` +
        `trainable ${p.trainable.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} parameters (${p.trainablePercent.toFixed(3)}%); ${event.totalSteps} steps; ${event.evaluationSteps.length} evaluation points\n`,
    );
    if (!process.stderr.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'training [{bar}] {value}/{total} steps | loss {loss} | lr {lr} | ETA {eta_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(event.totalSteps, 0, { loss: '-', lr: '-' });
  }
}

/** The result of a finished run on stdout: JSON, or its best checkpoint, AUPF, points and where it is stored. */
function printResult(io: CliIo, result: RunResult, { runId, store, flags }: Execution): void {
  if (flags.json) {
    io.stdout(`${JSON.stringify({ runId, database: store.file, ...result }, null, 2)}\n`);
    return;
  }
  io.stdout(
    [
      `best-validation checkpoint: step ${result.bestStep} (last step ${result.lastStep})`,
      result.frontier === undefined
        ? 'no attack configured: no frontier'
        : `AUPF ${result.frontier.hypervolume.toFixed(4)} (frontier of ${result.frontier.points.length} of the logged steps: ${result.frontier.points.map((p) => p.item.step).join(', ')})`,
      `${result.points.length} metric points in ${result.seconds.total.toFixed(1)} s (${result.seconds.evaluation.toFixed(1)} s evaluating)`,
      ...(flags.saveAdaptation === undefined ? [] : [`fine-tuned parameters saved to ${flags.saveAdaptation}`]),
      `run ${runId} stored in ${store.file} (paretune runs ${runId})`,
    ].join('\n') + '\n',
  );
}

/** Says how to go on after a run stopped or failed: resume a stopped run; what a failed one stored. */
function explainEnd(io: CliIo, error: unknown, runId: string, started: boolean): void {
  const cause = error instanceof RunFailedError ? error.cause : error;
  if (cause instanceof RunStoppedError) io.stderr(`paretune: continue run ${runId} with: paretune resume ${runId}\n`);
  // A run that fails before it starts (an unreadable checkpoint to resume from) measured nothing new.
  else if (error instanceof RunFailedError && started)
    io.stderr(
      `paretune: ${error.points.length} metric points were measured and stored (run ${runId}) before the failure\n`,
    );
}

/** Runs (or resumes) a run with progress output, storing it as it goes and checkpointing after every evaluation. */
export async function executeRun(execution: Execution): Promise<void> {
  const { spec, runId, store, experimentId, flags, global, io, resume, saveModel } = execution;
  const di = await containerFor(global, io);
  const downloads = progressBars(process.stderr, flags.quiet === true);
  // Ctrl-C stops after the current step; the run stays resumable from its last checkpoint.
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  process.once('SIGINT', onInterrupt);
  const progress = new RunProgress(io, flags.quiet === true, resume?.file, runId);
  try {
    const job: RunJob = {
      runId,
      spec,
      queuedAt: new Date().toISOString(),
      ...(experimentId === undefined ? {} : { experimentId }),
      ...(resume === undefined ? {} : { resume }),
    };
    const context = {
      registry: di.resolve(PluginRegistry),
      cacheDir: cacheDir(io.env),
      dataDir: dataDir(io.env),
      signal: stop.signal,
      onProgress: downloads,
      ...(flags.saveAdaptation === undefined ? {} : { saveAdaptation: flags.saveAdaptation }),
      ...(saveModel === undefined ? {} : { saveModel }),
    };
    const result = await executeStoredRun(
      store,
      job,
      (onJobEvent) => runJob(job, { ...context, onEvent: onJobEvent }),
      progress.onEvent,
    );
    progress.stop();
    if (flags.report !== false) printResult(io, result, execution);
  } catch (error) {
    progress.stop();
    explainEnd(io, error, runId, progress.started);
    const cause = error instanceof RunFailedError ? error.cause : error;
    throw cause instanceof RunStoppedError ? cause : error;
  } finally {
    process.off('SIGINT', onInterrupt);
    downloads.stop();
  }
}
