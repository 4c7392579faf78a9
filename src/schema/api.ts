import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { InjectionToken } from 'tsyringe';
import { GraphQLError } from 'graphql';
import { isUserError } from '../core/contracts/errors.js';
import type { PluginRegistry } from '../core/registry/registry.js';
import type { RunExecutor } from '../core/execution/executor.js';
import { planExperiment } from '../core/execution/stored-run.js';
import type { Experiment as ExperimentSpec } from '../core/runs/experiment.js';
import { experimentSchema } from '../core/runs/experiment.js';
import { parseConfig } from '../core/contracts/config.js';
import type { JobEvent, RunJob } from '../core/execution/job.js';
import { RunQueue } from '../core/execution/queue.js';
import { modelSourceName, namedModelId } from '../core/model/identity.js';
import { RunFailedError } from '../core/runs/runner.js';
import { resolveRun } from '../core/runs/spec.js';
import { summariseRun } from '../core/runs/summary.js';
import type { RunRecord, Store } from '../core/store/store.js';
import { RunStoppedError } from '../core/training/trainer.js';
import { PARETUNE_VERSION } from '../core/version.js';
import { withoutServerPaths } from '../core/paths.js';
import type { RunView } from './run-query.js';
import { RunStatus } from './types.js';
import type { Run } from './types.js';

/** What the resolvers work with: the store, the plugins, and the queue of runs started through the API. */
export interface ApiOptions {
  readonly store: Store;
  readonly registry: PluginRegistry;
  readonly dataDir: string;
  /** Bearer token that mutations require; without one the API is read-only. */
  readonly token?: string;
  /**
   * Where runs started through the API execute: worker threads, off the event loop that answers queries, or remote
   * workers (whose runs go on when the server stops).
   */
  readonly executor: RunExecutor;
  /** Told one line for each run that fails. */
  readonly log?: (line: string) => void;
}

export const ApiToken: InjectionToken<Api> = Symbol('paretune.api');

/** Per-request context: whether the request carried the API token, and the API (for subscriptions). */
export interface ApiContext {
  readonly authorized: boolean;
  readonly api: Api;
}

export const notFound = (what: string, id: string): GraphQLError =>
  new GraphQLError(`no ${what} '${id}'`, { extensions: { code: 'NOT_FOUND', id } });
export const badInput = (message: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

function statusOf(record: RunRecord): RunStatus {
  if (record.status === 'running') return record.interrupted ? RunStatus.INTERRUPTED : RunStatus.RUNNING;
  return record.status as RunStatus;
}

const pluginVersion = (text: string): { name: string; version: string } => {
  const at = text.lastIndexOf('@');
  return at > 0 ? { name: text.slice(0, at), version: text.slice(at + 1) } : { name: text, version: '' };
};

const refName = (ref: unknown): string => (typeof ref === 'string' ? ref : String((ref as { name?: unknown }).name));

/** The GraphQL view of a stored run. */
export function runOf(record: RunRecord): Run {
  return {
    id: record.id,
    experimentId: record.experimentId,
    status: statusOf(record),
    seed: record.seed,
    strategy: record.strategy,
    dataset: record.dataset,
    model: record.modelId,
    modelName: record.model,
    backend: record.backend,
    plugins: record.plugins.map(pluginVersion),
    paretuneVersion: record.paretuneVersion,
    tags: ((record.spec as { tags?: string[] }).tags ?? []).slice(),
    createdAt: record.createdAt,
    finishedAt: record.finishedAt,
    bestStep: record.bestStep,
    lastStep: record.lastStep,
    seconds: record.seconds,
    error: record.error,
    spec: record.spec,
    result: record.result,
  };
}

/** The GraphQL view of a run the queue holds that has no stored row yet (it gets one when it starts). */
function unstoredRunOf(job: RunJob): Run {
  const spec = job.spec as { seed: number; strategies: unknown[]; dataset: unknown; model: string; tags: string[] };
  return {
    id: job.runId,
    experimentId: job.experimentId ?? null,
    status: RunStatus.QUEUED,
    seed: spec.seed,
    strategy: spec.strategies.map(refName).join('+'),
    dataset: refName(spec.dataset),
    model: namedModelId(spec.model) ?? null,
    modelName: modelSourceName(spec.model),
    backend: null,
    plugins: [],
    paretuneVersion: null,
    tags: spec.tags,
    createdAt: job.queuedAt,
    finishedAt: null,
    bestStep: null,
    lastStep: null,
    seconds: null,
    error: null,
    spec: job.spec,
    result: null,
  };
}

/** The API's operations over the store and the run queue; resolvers stay thin. */
export class Api {
  readonly queue: RunQueue;

  constructor(readonly options: ApiOptions) {
    this.queue = new RunQueue(
      (job, signal, onEvent) => this.execute(job, signal, onEvent),
      options.executor.concurrency,
    );
  }

  /**
   * Executes a job, storing a failure before the run started (a dataset that cannot be loaded) as a failed run: the
   * client was given its id, so `run(id)` says what happened rather than that there is no such run.
   */
  private async execute(job: RunJob, signal: AbortSignal, onEvent: (event: JobEvent) => void): Promise<unknown> {
    try {
      return await this.options.executor.execute(job, signal, onEvent);
    } catch (error) {
      const cause = error instanceof RunFailedError ? error.cause : (error as Error);
      if (!(cause instanceof RunStoppedError)) {
        if (this.store.getRun(job.runId) === undefined) this.storeUnstarted(job, cause.message);
        this.options.log?.(
          `paretune: ${cause.message.startsWith(`run ${job.runId} `) ? cause.message : `run ${job.runId} failed: ${cause.message}`}\n`,
        );
      }
      throw error;
    }
  }

  /** Stores a run that failed before it started, as failed with its error. */
  private storeUnstarted(job: RunJob, error: string): void {
    const { spec } = resolveRun(job.spec, this.registry);
    const modelId = namedModelId(spec.model);
    this.store.createRun({
      id: job.runId,
      ...(job.experimentId === undefined ? {} : { experimentId: job.experimentId }),
      spec,
      seed: spec.seed,
      strategy: spec.strategies.map(refName).join('+'),
      dataset: refName(spec.dataset),
      ...(modelId === undefined ? {} : { modelId }),
      model: modelSourceName(spec.model),
      paretuneVersion: PARETUNE_VERSION,
    });
    this.store.failRun(job.runId, error);
  }

  get store(): Store {
    return this.options.store;
  }

  get registry(): PluginRegistry {
    return this.options.registry;
  }

  /**
   * A token that changes whenever a query could be answered differently: the database changed (here or in another
   * process) or this server's queue moved. While a run is stored as running, the clock counts too, in steps of
   * `clockMs`: its process can die, or its lease end, without a write.
   */
  state(clockMs: number): string {
    const clock = this.store.hasRunningRuns() ? `.${Math.floor(Date.now() / clockMs)}` : '';
    return `${this.store.changeToken()}.${this.queue.version}${clock}`;
  }

  /** Mutations need the token; without one configured the server is read-only. */
  authorize(context: ApiContext): void {
    if (this.options.token === undefined) {
      throw new GraphQLError('this server is read-only: start it with PARETUNE_API_TOKEN set to allow mutations', {
        extensions: { code: 'FORBIDDEN' },
      });
    }
    if (!context.authorized) {
      throw new GraphQLError('mutations need the header "Authorization: Bearer <PARETUNE_API_TOKEN>"', {
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
  }

  /** What a caller may see: everything with the token, else the value without server paths (withoutServerPaths). */
  visible<T>(context: ApiContext, value: T): T {
    return this.options.token !== undefined && context.authorized ? value : withoutServerPaths(value);
  }

  /** A stored run or one this server holds; one it holds is shown as queued or running, whatever its stored row says. */
  run(id: string): Run | undefined {
    const record = this.store.getRun(id);
    const job = this.queue.holding(id);
    if (record === undefined) return job === undefined ? undefined : this.live(unstoredRunOf(job));
    return job === undefined ? runOf(record) : this.live(runOf(record));
  }

  /** Every stored run and every run this server holds, with its summary, for filtering and ordering. */
  views(): RunView[] {
    const finals = this.store.finalPoints();
    const names = new Map(this.store.listExperiments().map((e) => [e.id, e.name]));
    const held = new Set(this.queue.held().map((job) => job.runId));
    const stored = this.store.listRuns().map((record) => {
      const run = runOf(record);
      return {
        run: held.has(record.id) ? this.live(run) : run,
        summary: summariseRun(record, finals.get(record.id) ?? []),
      };
    });
    const storedIds = new Set(stored.map((v) => v.run.id));
    const unstored = this.queue
      .held()
      .filter((job) => !storedIds.has(job.runId))
      .map((job) => ({ run: this.live(unstoredRunOf(job)), summary: {} }));
    return [...stored, ...unstored].map((v) => {
      const experimentName = v.run.experimentId === null ? undefined : names.get(v.run.experimentId);
      return { run: v.run, summary: v.summary, ...(experimentName === undefined ? {} : { experimentName }) };
    });
  }

  /** A held run's status from the queue: a resumed run's row still says cancelled or interrupted until it starts. */
  private live(run: Run): Run {
    return { ...run, status: this.queue.progress(run.id)?.status === 'running' ? RunStatus.RUNNING : RunStatus.QUEUED };
  }

  /** Validates a run spec (plugins and their configs included) and queues it. */
  startRun(input: unknown, runId: string): Run {
    try {
      const { spec } = resolveRun(input, this.registry);
      const job: RunJob = { runId, spec, queuedAt: new Date().toISOString() };
      this.queue.enqueue(job);
      return this.run(runId) ?? unstoredRunOf(job);
    } catch (error) {
      throw isUserError(error) ? badInput(error.message) : error;
    }
  }

  /** Validates an experiment, records it, and queues its unfinished runs (interrupted ones resume). */
  startExperiment(input: unknown): { id: string; spec: ExperimentSpec; queued: number } {
    try {
      const spec = parseConfig(experimentSchema, input, 'experiment');
      const { id, runs } = planExperiment(spec, this.store, this.registry, this.queue.held());
      const queuedAt = new Date().toISOString();
      let queued = 0;
      for (const run of runs) {
        if (run.action === 'finished' || run.action === 'running') continue;
        this.queue.enqueue({
          runId: run.runId,
          spec: run.spec,
          experimentId: id,
          queuedAt,
          ...(run.resume === undefined ? {} : { resume: run.resume }),
        });
        queued += 1;
      }
      return { id, spec, queued };
    } catch (error) {
      throw isUserError(error) ? badInput(error.message) : error;
    }
  }

  /** Cancels a queued run, or stops a running one after its current step (it stays resumable). */
  cancelRun(id: string): Run {
    const before = this.run(id);
    if (before === undefined) throw notFound('run', id);
    const cancelled = this.queue.cancel(id);
    if (cancelled === 'queued') return { ...before, status: RunStatus.CANCELLED };
    if (cancelled === undefined) {
      throw badInput(
        before.status === RunStatus.RUNNING
          ? `run ${id} is running in another process; stop it there`
          : `run ${id} is ${before.status}, not queued or running here`,
      );
    }
    return before;
  }

  /** Deletes a stored run, its points and its checkpoint files; a queued or running run must be cancelled first. */
  deleteRun(id: string): boolean {
    const run = this.run(id);
    if (run === undefined) throw notFound('run', id);
    // A run held here shows as queued or running (above); a row another process is running stays `running`.
    if (run.status === RunStatus.QUEUED || run.status === RunStatus.RUNNING)
      throw badInput(`run ${id} is ${run.status}; cancel it first`);
    for (const path of this.store.deleteRun(id)) rmSync(dirname(path), { recursive: true, force: true });
    return true;
  }
}
