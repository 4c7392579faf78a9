import { EventEmitter, on } from 'node:events';
import { onlyLosses, RunFailedError } from '../runs/runner.js';
import { RunStoppedError } from '../training/trainer.js';
import type { JobEvent, RunJob } from './job.js';

export type JobStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled';

/** Where a queued or running run stands, as dashboards follow it. */
export interface RunProgress {
  readonly runId: string;
  readonly status: JobStatus;
  readonly step: number;
  readonly totalSteps?: number;
  readonly loss?: number;
  readonly learningRate?: number;
  readonly evaluatedStep?: number;
  readonly error?: string;
}

/** Runs one job to completion, stopping early (with RunStoppedError) when `signal` aborts. */
export type JobExecutor = (job: RunJob, signal: AbortSignal, onEvent: (event: JobEvent) => void) => Promise<unknown>;

const TERMINAL: ReadonlySet<JobStatus> = new Set(['finished', 'failed', 'cancelled']);

/**
 * Runs jobs in order, up to `concurrency` at a time, and reports their progress as `progress` events. A queued job
 * can be cancelled before it starts; a running one stops after its current step (and is stored as cancelled).
 */
export class RunQueue {
  private readonly waiting: RunJob[] = [];
  private readonly running = new Map<string, { job: RunJob; stop: AbortController }>();
  private readonly states = new Map<string, RunProgress>();
  private readonly events = new EventEmitter();
  private idleWaiters: (() => void)[] = [];
  private changes = 0;

  constructor(
    private readonly execute: JobExecutor,
    private readonly concurrency = 1,
  ) {
    this.events.setMaxListeners(0); // one listener per live subscription
  }

  enqueue(job: RunJob): void {
    this.waiting.push(job);
    this.update({ runId: job.runId, status: 'queued', step: 0 });
    this.pump();
  }

  /** The job if this queue holds it (waiting or running): before its run has a stored row, only the queue knows it. */
  holding(runId: string): RunJob | undefined {
    return this.waiting.find((j) => j.runId === runId) ?? this.running.get(runId)?.job;
  }

  /** How many jobs wait and how many run. */
  load(): { queued: number; running: number } {
    return { queued: this.waiting.length, running: this.running.size };
  }

  /** Every job this queue holds: the waiting ones in order, then the running ones. */
  held(): readonly RunJob[] {
    return [...this.waiting, ...[...this.running.values()].map((r) => r.job)];
  }

  /** Counts the changes to what this queue holds and reports: equal counts, equal answers. */
  get version(): number {
    return this.changes;
  }

  progress(runId: string): RunProgress | undefined {
    return this.states.get(runId);
  }

  /** Cancels a waiting or running job; returns what it was doing, or undefined when this queue does not hold it. */
  cancel(runId: string): 'queued' | 'running' | undefined {
    const index = this.waiting.findIndex((j) => j.runId === runId);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.update({ ...(this.states.get(runId) as RunProgress), status: 'cancelled' });
      this.settleIdle();
      return 'queued';
    }
    const running = this.running.get(runId);
    if (running === undefined) return undefined;
    running.stop.abort();
    return 'running';
  }

  /** Progress updates of one run, ending after its terminal status. */
  async *follow(runId: string, signal?: AbortSignal): AsyncGenerator<RunProgress> {
    const first = this.states.get(runId);
    if (first !== undefined && TERMINAL.has(first.status)) {
      yield first;
      return;
    }
    // Listening before the first state is handed out: an update made while it is being sent is not missed.
    const updates = on(this.events, 'progress', signal === undefined ? {} : { signal }) as AsyncIterableIterator<
      [RunProgress]
    >;
    try {
      if (first !== undefined) yield first;
      for await (const [progress] of updates) {
        if (progress.runId !== runId) continue;
        yield progress;
        if (TERMINAL.has(progress.status)) return;
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      await updates.return?.();
    }
  }

  /** Cancels every waiting job and stops the running ones after their current step; resolves when they have stopped. */
  async stop(): Promise<void> {
    for (const job of [...this.waiting]) this.cancel(job.runId);
    for (const { stop } of this.running.values()) stop.abort();
    await this.idle();
  }

  /** Resolves when every job queued so far has ended. */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private update(progress: RunProgress): void {
    this.changes += 1;
    this.states.set(progress.runId, progress);
    this.events.emit('progress', progress);
  }

  private settleIdle(): void {
    if (this.running.size > 0 || this.waiting.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as RunJob;
      const stop = new AbortController();
      this.running.set(job.runId, { job, stop });
      void this.start(job, stop).finally(() => {
        this.changes += 1;
        this.running.delete(job.runId);
        this.pump();
        this.settleIdle();
      });
    }
  }

  private async start(job: RunJob, stop: AbortController): Promise<void> {
    const runId = job.runId;
    const state = (): RunProgress => this.states.get(runId) as RunProgress;
    this.update({ runId, status: 'running', step: 0 });
    try {
      await this.execute(job, stop.signal, (event) => {
        if (event.type === 'started') this.update({ ...state(), totalSteps: event.totalSteps });
        else if (event.type === 'step')
          this.update({ ...state(), step: event.step, loss: event.loss, learningRate: event.learningRate });
        else if (event.type === 'evaluation' && !onlyLosses(event.points))
          this.update({ ...state(), evaluatedStep: event.step });
      });
      this.update({ ...state(), status: 'finished' });
    } catch (error) {
      const cause = error instanceof RunFailedError ? error.cause : (error as Error);
      this.update({
        ...state(),
        status: cause instanceof RunStoppedError ? 'cancelled' : 'failed',
        error: cause.message,
      });
    }
  }
}
