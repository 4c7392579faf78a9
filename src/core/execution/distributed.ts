import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { ConnectionOptions, Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError } from '../contracts/config.js';
import { isUserError, UserError } from '../contracts/errors.js';
import { canonicalJson } from '../evaluation/context.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import type { RunEnvironment } from '../runs/environment.js';
import { RunFailedError } from '../runs/runner.js';
import type { RunResult } from '../runs/runner.js';
import { recordOutcome, recordRun } from './recorder.js';
import type { Store } from '../store/store.js';
import { RunStoppedError } from '../training/trainer.js';
import type { JobEvent, RunJob, RunResume } from './job.js';
import type { JobExecutor } from './queue.js';
import { checkpointFileOf, runJob } from './run-job.js';
import { remoteFailure, RemoteRunError } from './thread-pool.js';

/**
 * Queue of run jobs (coordinator -> workers), and the prefix of the report queues (workers -> coordinator): one a
 * coordinator, so that several (an API server and a CLI experiment, on their own databases) share one Redis.
 */
export const RUNS_QUEUE = 'paretune-runs';
export const REPORTS_QUEUE_PREFIX = 'paretune-reports';
/** How often a worker looks up again where to send a run's reports (a restarted coordinator takes the run over). */
const REPORT_TARGET_REFRESH_MS = 1000;

/** A run job as queued: where its worker sends reports when Redis has no `reportTo` key for it (Redis lost it). */
type QueuedJob = RunJob & { readonly reportTo: string };

/**
 * How run jobs are queued. Ended jobs stay a week, so that a run whose job Redis no longer has was lost by Redis
 * (a restart without persistence) rather than ended while its report was still on the way.
 */
const RUN_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: { age: 7 * 86_400 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/** Starts the failure reason of a job whose worker reported its failure: the coordinator settles it from the report. */
const REPORTED = 'reported: ';

/** How often a worker reports training progress (step events) at most. */
const STEP_REPORT_INTERVAL_MS = 250;

/** Checkpoints up to this size also go to Redis, so that a run retried on another machine resumes from them. */
export const MAX_CHECKPOINT_BYTES_IN_REDIS = 256 * 1024 * 1024;

/** What a worker reports about a run, in order: its events, then its outcome. */
export type Report =
  | { readonly runId: string; readonly experimentId?: string; readonly kind: 'event'; readonly event: JobEvent }
  | { readonly runId: string; readonly experimentId?: string; readonly kind: 'finished'; readonly result: RunResult }
  | {
      readonly runId: string;
      readonly experimentId?: string;
      readonly kind: 'failed';
      readonly name: string;
      readonly message: string;
      readonly userError?: boolean;
      readonly stoppedAt?: number;
    };

export class RedisUnreachableError extends UserError {
  override readonly name = 'RedisUnreachableError';
}

/** Settings shared by coordinators and workers. */
export interface RedisSettings {
  readonly url: string;
  /** How long a worker holds a job without renewing its lock before the job counts as stalled (ms). */
  readonly lockDurationMs?: number;
  /** Told when the connection to Redis is lost and when it is back. */
  readonly onConnection?: (line: string) => void;
}

const keys = {
  cancel: (runId: string) => `paretune:cancel:${runId}`,
  checkpoint: (runId: string) => `paretune:checkpoint:${runId}`,
  checkpointStep: (runId: string) => `paretune:checkpoint-step:${runId}`,
  points: (runId: string) => `paretune:points:${runId}`,
  finished: (runId: string) => `paretune:finished:${runId}`,
  /** The report queue of the coordinator that waits for the run: the last one to queue it. */
  reportTo: (runId: string) => `paretune:report-to:${runId}`,
};

/**
 * Opens a Redis connection, failing within seconds (with the URL and the reason) when Redis cannot be reached. Once
 * connected it reconnects for ever, telling `onConnection` when the connection is lost and when it is back.
 */
export async function connectRedis(
  url: string,
  onConnection: (line: string) => void = () => undefined,
): Promise<Redis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`'${url}' is not a Redis URL (expected redis://host:port)`);
  }
  if (!/^rediss?:$/.test(parsed.protocol))
    throw new ConfigError(`'${url}' is not a Redis URL (expected redis://host:port)`);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: (attempt) => (attempt > 3 ? null : 200 * attempt),
  });
  // Connection errors reach the caller through the failed commands below (and later through reconnects), not as
  // unhandled 'error' events printed by ioredis.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new RedisUnreachableError(
      `cannot reach Redis at ${url}: ${(error as Error).message}; start redis-server or fix --redis / PARETUNE_REDIS_URL`,
    );
  }
  // After the first connection, reconnect for ever: queued work waits in Redis while it is away.
  redis.options.retryStrategy = (attempt) => Math.min(5000, 200 * attempt);
  let lost = false;
  redis.on('reconnecting', () => {
    if (!lost)
      onConnection(`lost the connection to Redis at ${url}; reconnecting (queued runs and reports wait in Redis)\n`);
    lost = true;
  });
  redis.on('ready', () => {
    if (lost) onConnection(`reconnected to Redis at ${url}\n`);
    lost = false;
  });
  return redis;
}

const connection = (redis: Redis): ConnectionOptions => redis as unknown as ConnectionOptions;

/**
 * BullMQ prints the errors nobody listens to, stack and all, once per reconnection attempt. Connection errors
 * (socket errors, or any while Redis is away) repeat what `connectRedis` says once; others are told in one line.
 */
function tellErrors(
  redis: Redis,
  say: (line: string) => void,
  ...emitters: readonly { on(event: 'error', listener: (error: Error) => void): unknown }[]
): void {
  const listener = (error: Error): void => {
    if (redis.status === 'ready' && !('syscall' in error)) say(`Redis: ${error.message}\n`);
  };
  for (const emitter of emitters) emitter.on('error', listener);
}

/** Rebuilds a worker's error on the coordinator: stopped runs stay recognisable as such. */
const errorOf = (report: Extract<Report, { kind: 'failed' }>): Error =>
  report.stoppedAt !== undefined
    ? new RunStoppedError(report.stoppedAt)
    : remoteFailure(report.runId, report.name, `${report.name}: ${report.message}`, report.userError === true);

/**
 * The coordinator's side: queues runs for workers on Redis, records what workers report into the store (this
 * process is the only writer), and settles each run when its worker reports its outcome. Workers report to the
 * coordinator that queued a run last; one that queues a run again after another has gone takes its reports over.
 */
export class DistributedCoordinator {
  private readonly pending = new Map<
    string,
    { job: RunJob; resolve: (r: RunResult) => void; reject: (e: Error) => void; onEvent: (e: JobEvent) => void }
  >();
  private readonly recorders = new Map<string, (event: JobEvent) => void>();
  /** Reports of runs being taken over (see takeOver) that reached this coordinator's queue first. */
  private readonly held = new Map<string, Report[]>();
  /** Keys of settled runs being removed from Redis. */
  private cleanup: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly redis: Redis,
    private readonly connections: readonly Redis[],
    private readonly store: Store,
    private readonly runs: Queue,
    private readonly reports: Worker,
    private readonly events: QueueEvents,
    private readonly reportsQueue: string,
    private readonly say: (line: string) => void,
  ) {}

  static async connect(settings: RedisSettings, store: Store): Promise<DistributedCoordinator> {
    const redis = await connectRedis(settings.url, settings.onConnection);
    const connections = [redis.duplicate(), redis.duplicate()] as const;
    const runs = new Queue(RUNS_QUEUE, { connection: connection(redis) });
    const events = new QueueEvents(RUNS_QUEUE, { connection: connection(connections[0]) });
    let coordinator: DistributedCoordinator | undefined;
    // One report at a time, in order: a run's events are recorded in the order its worker sent them.
    const reportsQueue = `${REPORTS_QUEUE_PREFIX}-${randomUUID()}`;
    const reports = new Worker<Report>(reportsQueue, async (job) => coordinator?.arrived(job.data), {
      connection: connection(connections[1]),
      concurrency: 1,
      autorun: false,
    });
    const say = settings.onConnection ?? (() => undefined);
    coordinator = new DistributedCoordinator(redis, connections, store, runs, reports, events, reportsQueue, say);
    tellErrors(redis, say, runs, reports, events);
    // Only reconnections: the first connection is made.
    redis.on('ready', () => void coordinator?.requeueLost().catch((error: Error) => say(`Redis: ${error.message}\n`)));
    // A job that failed without a report (its worker died more often than the stall limit allows). A reported
    // failure may still be behind other reports: it settles when its report is recorded, in order.
    events.on('failed', ({ jobId, failedReason }) => {
      if (!failedReason.startsWith(REPORTED)) coordinator?.settleWithoutReport(jobId, failedReason);
    });
    void reports.run();
    return coordinator;
  }

  /** An executor for RunQueue: each job runs on whichever worker takes it. */
  executor(): JobExecutor {
    return (job, signal, onEvent) => this.submit(job, signal, onEvent);
  }

  /**
   * Queues a run (idempotently, by run id: a job still waiting or running for it is kept) and resolves with its
   * result when its worker reports it finished.
   */
  async submit(job: RunJob, signal: AbortSignal, onEvent: (event: JobEvent) => void): Promise<RunResult> {
    this.recorders.set(
      job.runId,
      recordRun(this.store, job.runId, job.experimentId === undefined ? {} : { experimentId: job.experimentId }),
    );
    const outcome = new Promise<RunResult>((resolve, reject) =>
      this.pending.set(job.runId, { job, resolve, reject, onEvent }),
    );
    // Reports of the run come here from now on; those sent to an earlier coordinator that has gone are taken over.
    const previous = await this.redis.getset(keys.reportTo(job.runId), this.reportsQueue);
    if (previous !== null && previous !== this.reportsQueue) await this.takeOver(previous, job.runId);
    // Its outcome was among those reports: the run ended while no coordinator was listening.
    if (!this.pending.has(job.runId)) return outcome;
    // An ended job of an earlier attempt (cancelled, failed) would make the add below a no-op, and its cancel flag
    // would stop this one. A job still waiting or running is kept: its worker now reports here.
    const earlier = await this.runs.getJob(job.runId);
    if (earlier !== undefined && ['completed', 'failed'].includes(await earlier.getState())) await earlier.remove();
    await this.redis.del(keys.cancel(job.runId));
    // Acknowledged by Redis before this returns: from here the run survives a coordinator restart.
    await this.runs.add('run', { ...job, reportTo: this.reportsQueue } satisfies QueuedJob, {
      jobId: job.runId,
      ...RUN_JOB_OPTIONS,
    });
    const cancel = (): void =>
      void this.cancel(job.runId).catch((error: Error) =>
        this.say(`cannot cancel run ${job.runId}: ${error.message}\n`),
      );
    // A cancel that came while the job was being queued reaches it too.
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    return outcome;
  }

  /** Cancels a run: removed if no worker took it yet, else its worker stops it after the current step. */
  async cancel(runId: string): Promise<void> {
    await this.redis.set(keys.cancel(runId), '1', 'EX', 86_400);
    const job = await this.runs.getJob(runId);
    if (job === undefined || (await job.getState()) !== 'waiting') return;
    try {
      await job.remove();
    } catch {
      return; // a worker took it meanwhile (a locked job cannot be removed): the cancel flag stops it there
    }
    this.settle(runId, { error: new RunStoppedError(0) });
  }

  async close(): Promise<void> {
    await this.reports.close();
    await this.cleanup;
    await this.events.close();
    await this.runs.close();
    // This coordinator's report queue has no other reader: what is left in it would stay in Redis for ever.
    if (this.pending.size === 0) {
      const reports = new Queue(this.reportsQueue, { connection: connection(this.redis) });
      await reports.obliterate({ force: true });
      await reports.close();
    }
    for (const c of [this.redis, ...this.connections]) c.disconnect();
  }

  /** After a reconnection: runs whose jobs Redis no longer has (it restarted without persistence) are queued again. */
  private async requeueLost(): Promise<void> {
    for (const [runId, { job }] of this.pending) {
      if ((await this.runs.getJob(runId)) !== undefined || !this.pending.has(runId)) continue;
      this.say(`Redis no longer has run ${runId} (restarted without persistence?); queueing it again\n`);
      await this.redis.set(keys.reportTo(runId), this.reportsQueue);
      await this.runs.add('run', { ...job, reportTo: this.reportsQueue } satisfies QueuedJob, {
        jobId: runId,
        ...RUN_JOB_OPTIONS,
      });
    }
  }

  /**
   * Records, in order, the reports about a run that wait in the queue of a coordinator that has gone, and those its
   * worker still sends there until it looks the coordinator up again; reports that reach this coordinator's queue
   * meanwhile wait behind them, so the run's events are recorded in the order they were sent.
   */
  private async takeOver(queueName: string, runId: string): Promise<void> {
    this.held.set(runId, []);
    const queue = new Queue<Report>(queueName, { connection: connection(this.redis) });
    try {
      await this.drain(queue, runId);
      await sleep(REPORT_TARGET_REFRESH_MS + 500);
      await this.drain(queue, runId);
    } finally {
      await queue.close();
      const held = this.held.get(runId) ?? [];
      this.held.delete(runId);
      for (const report of held) this.receive(report);
    }
  }

  private async drain(queue: Queue<Report>, runId: string): Promise<void> {
    for (const report of await queue.getJobs(['active', 'waiting'], 0, -1, true)) {
      if (report.data.runId !== runId) continue;
      this.receive(report.data);
      await report.remove().catch(() => undefined); // still locked by its gone reader: it expires with the queue's keys
    }
  }

  /** A report from this coordinator's queue: recorded now, or after the reports of a run being taken over. */
  private arrived(report: Report): void {
    const held = this.held.get(report.runId);
    if (held === undefined) this.receive(report);
    else held.push(report);
  }

  private receive(report: Report): void {
    const record =
      this.recorders.get(report.runId) ??
      recordRun(
        this.store,
        report.runId,
        report.experimentId === undefined ? {} : { experimentId: report.experimentId },
      );
    this.recorders.set(report.runId, record);
    if (report.kind === 'event') {
      record(report.event);
      this.pending.get(report.runId)?.onEvent(report.event);
    } else if (report.kind === 'finished') {
      this.settle(report.runId, { result: report.result });
    } else {
      this.settle(report.runId, { error: errorOf(report) });
    }
  }

  private settleWithoutReport(runId: string, reason: string): void {
    if (!this.pending.has(runId)) return;
    this.settle(runId, { error: new RemoteRunError(runId, 'WorkerLost', reason) });
  }

  private settle(runId: string, outcome: { result: RunResult } | { error: Error }): void {
    recordOutcome(this.store, runId, outcome);
    this.recorders.delete(runId);
    this.cleanup = this.cleanup
      .then(() => this.redis.del(keys.reportTo(runId)))
      .catch((error: Error) => this.say(`Redis: ${error.message}\n`));
    const waiting = this.pending.get(runId);
    this.pending.delete(runId);
    if ('result' in outcome) waiting?.resolve(outcome.result);
    else waiting?.reject(outcome.error);
  }
}

export interface WorkerOptions extends RedisSettings, RunEnvironment {
  readonly concurrency: number;
  /** Said when a run starts, resumes or ends on this worker. */
  readonly log?: (line: string) => void;
}

/** Errors that fail the same way on any worker: reported at once instead of retried. */
const isFinal = (error: Error): boolean => error instanceof RunStoppedError || isUserError(error);

/**
 * A job's reports to its coordinator, sent in order: a failed send fails the job (and it is retried) rather than
 * losing a report. Checkpoints and measured points also go to Redis, so that a retry resumes from them.
 */
class ReportChannel {
  private sending = Promise.resolve();
  /** The coordinator's queue, looked up again at most once a second: a restarted coordinator takes the run over. */
  private target: { queue: string; readAt: number };
  private stepSentAt = -Infinity;

  constructor(
    private readonly redis: Redis,
    private readonly reportsTo: (name: string) => Queue<Report>,
    private readonly job: QueuedJob,
  ) {
    this.target = { queue: job.reportTo, readAt: -Infinity };
  }

  /** Sends one report now (not behind the queued ones). */
  async report(body: Record<string, unknown>): Promise<void> {
    const { runId, experimentId, reportTo } = this.job;
    if (performance.now() - this.target.readAt > REPORT_TARGET_REFRESH_MS) {
      this.target = { queue: (await this.redis.get(keys.reportTo(runId))) ?? reportTo, readAt: performance.now() };
    }
    const message = { runId, ...(experimentId === undefined ? {} : { experimentId }), ...body } as Report;
    await this.reportsTo(this.target.queue).add('report', message, { removeOnComplete: true, removeOnFail: 1000 });
  }

  /** Queues a report behind those sent before it. */
  send(body: Record<string, unknown>): void {
    this.sending = this.sending.then(() => this.report(body));
  }

  /** Forwards a run event; step events only show progress, so a few a second are enough. */
  forward(event: JobEvent): void {
    const { runId } = this.job;
    if (event.type === 'checkpoint') {
      // Read now: reports may lag behind training, and the next checkpoint overwrites this file.
      const bytes = readFileSync(event.path);
      this.sending = this.sending.then(() => saveToRedis(this.redis, runId, bytes, event.step));
    } else if (event.type === 'evaluation') {
      this.sending = this.sending.then(() => savePoints(this.redis, runId, event.points));
    } else if (event.type === 'step') {
      if (performance.now() - this.stepSentAt < STEP_REPORT_INTERVAL_MS) return;
      this.stepSentAt = performance.now();
    }
    this.send({ kind: 'event', event });
  }

  /** Settles once every queued send has been made; rejects with the first failed one. */
  sent(): Promise<void> {
    return this.sending;
  }
}

/** Executes one run job on this worker, reporting its events and outcome; throws to have BullMQ retry it. */
async function executeQueuedJob(
  job: Job<QueuedJob>,
  options: WorkerOptions,
  redis: Redis,
  channel: ReportChannel,
): Promise<void> {
  const { runId } = job.data;
  const log = options.log ?? (() => undefined);
  // A run queued again after Redis lost its job may have been finished since by the worker that had it.
  if ((await redis.exists(keys.finished(runId))) === 1) {
    log(`run ${runId} is already finished; skipping its job\n`);
    return;
  }
  const resume = (await resumeFromRedis(redis, runId, options.dataDir)) ?? job.data.resume;
  log(
    `${resume === undefined ? 'starting' : `resuming from step ${resume.points.at(-1)?.step ?? 0}`} run ${runId} (attempt ${job.attemptsMade + 1})\n`,
  );
  const stop = new AbortController();
  const poll = setInterval(
    () => void redis.get(keys.cancel(runId)).then((flag) => flag !== null && stop.abort()),
    1000,
  );
  try {
    const { registry, cacheDir, dataDir } = options;
    const context = {
      registry,
      cacheDir,
      dataDir,
      signal: stop.signal,
      onEvent: (event: JobEvent) => channel.forward(event),
    };
    const result = await runJob({ ...job.data, ...(resume === undefined ? {} : { resume }) }, context);
    channel.send({ kind: 'finished', result });
    await channel.sent();
    await redis
      .multi()
      .del(keys.checkpoint(runId), keys.checkpointStep(runId), keys.points(runId), keys.cancel(runId))
      .set(keys.finished(runId), '1', 'EX', 7 * 86_400)
      .exec();
    log(`finished run ${runId}\n`);
  } catch (error) {
    await channel.sent();
    const cause = error instanceof RunFailedError ? error.cause : (error as Error);
    const final = isFinal(cause) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    log(
      `run ${runId} ${cause instanceof RunStoppedError ? 'cancelled' : `failed${final ? '' : ', to be retried'}`}: ${cause.message}\n`,
    );
    if (!final) throw cause;
    await channel.report({
      kind: 'failed',
      name: cause.name,
      message: cause.message,
      userError: isUserError(cause),
      ...(cause instanceof RunStoppedError ? { stoppedAt: cause.step } : {}),
    });
    throw new UnrecoverableError(`${REPORTED}${cause.message}`);
  } finally {
    clearInterval(poll);
  }
}

/**
 * A worker process's side: takes run jobs from Redis, executes them here, and reports their events and outcome to
 * the coordinator. Each checkpoint (and the points measured up to it) also goes to Redis, so that a job retried
 * after this worker dies (a stalled job) resumes from it on any worker, measuring again only what came after it.
 */
export async function startWorker(options: WorkerOptions): Promise<{ close(): Promise<void> }> {
  const redis = await connectRedis(options.url, options.onConnection);
  const reportQueues = new Map<string, Queue<Report>>();
  const reportsTo = (name: string): Queue<Report> => {
    let queue = reportQueues.get(name);
    if (queue === undefined) {
      queue = new Queue<Report>(name, { connection: connection(redis) });
      tellErrors(redis, options.onConnection ?? (() => undefined), queue);
      reportQueues.set(name, queue);
    }
    return queue;
  };
  const execute = (job: Job<QueuedJob>): Promise<void> =>
    executeQueuedJob(job, options, redis, new ReportChannel(redis, reportsTo, job.data));

  const lockDuration = options.lockDurationMs ?? 30_000;
  const blocking = redis.duplicate();
  const worker = new Worker<QueuedJob>(RUNS_QUEUE, execute, {
    connection: connection(blocking),
    concurrency: options.concurrency,
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 2,
  });
  tellErrors(redis, options.onConnection ?? (() => undefined), worker);
  await worker.waitUntilReady();
  return {
    /** Stops taking jobs without waiting for the running ones: their locks lapse and they resume elsewhere. */
    async close() {
      await worker.close(true);
      for (const queue of reportQueues.values()) await queue.close();
      redis.disconnect();
      blocking.disconnect();
    },
  };
}

/** Keeps a run's latest checkpoint in Redis (when small enough to). */
async function saveToRedis(redis: Redis, runId: string, bytes: Buffer, step: number): Promise<void> {
  if (bytes.length > MAX_CHECKPOINT_BYTES_IN_REDIS) return;
  await redis.multi().set(keys.checkpoint(runId), bytes).set(keys.checkpointStep(runId), String(step)).exec();
}

/** Keeps a run's measured points in Redis, one hash field per point identity (a point measured again replaces itself). */
async function savePoints(redis: Redis, runId: string, points: readonly MeasuredPoint[]): Promise<void> {
  if (points.length === 0) return;
  await redis.hset(
    keys.points(runId),
    Object.fromEntries(points.map((p) => [`${p.step} ${p.name} ${canonicalJson(p.context)}`, JSON.stringify(p)])),
  );
}

/** The checkpoint and points an earlier attempt left in Redis, written to this worker's disk; undefined when none. */
async function resumeFromRedis(redis: Redis, runId: string, dataDir: string): Promise<RunResume | undefined> {
  const [bytes, step] = await Promise.all([
    redis.getBuffer(keys.checkpoint(runId)),
    redis.get(keys.checkpointStep(runId)),
  ]);
  if (bytes === null || step === null) return undefined;
  const file = checkpointFileOf(dataDir, runId);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  const stored = Object.values(await redis.hgetall(keys.points(runId))).map(
    (text) => JSON.parse(text) as MeasuredPoint,
  );
  const points = stored
    .filter((p) => p.step <= Number(step) && p.context['checkpoint'] === undefined)
    .sort((a, b) => a.step - b.step);
  return { file, points };
}
