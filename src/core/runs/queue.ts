import { EventEmitter, on } from 'node:events';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { RunStoppedError } from '../training/trainer.js';
import type { RunEvent } from './runner.js';
import { RunFailedError } from './runner.js';

/** A run waiting for (or given to) the executor. */
export interface RunJob {
  readonly runId: string;
  readonly spec: unknown;
  readonly experimentId?: string;
  readonly resume?: { readonly file: string; readonly points: readonly MeasuredPoint[] };
  readonly queuedAt: string;
}

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
export type JobExecutor = (job: RunJob, signal: AbortSignal, onEvent: (event: RunEvent) => void) => Promise<unknown>;

const TERMINAL: ReadonlySet<JobStatus> = new Set(['finished', 'failed', 'cancelled']);

/**
 * Runs jobs one at a time in this process, in order, and reports their progress as `progress` events. A queued
 * job can be cancelled before it starts; a running one stops after its current step (and is stored as cancelled).
 */
export class RunQueue {
  private readonly waiting: RunJob[] = [];
  private readonly states = new Map<string, RunProgress>();
  private readonly events = new EventEmitter();
  private current: { job: RunJob; stop: AbortController } | undefined;
  private drained: Promise<void> = Promise.resolve();

  constructor(private readonly execute: JobExecutor) {
    this.events.setMaxListeners(0); // one listener per live subscription
  }

  enqueue(job: RunJob): void {
    this.waiting.push(job);
    this.update({ runId: job.runId, status: 'queued', step: 0 });
    if (this.current === undefined) this.drained = this.drain();
  }

  /** The job if it is waiting, for runs that have no stored row yet. */
  queued(runId: string): RunJob | undefined {
    return this.waiting.find((j) => j.runId === runId);
  }

  /** All waiting jobs, in order. */
  pending(): readonly RunJob[] {
    return [...this.waiting];
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
      return 'queued';
    }
    if (this.current?.job.runId === runId) {
      this.current.stop.abort();
      return 'running';
    }
    return undefined;
  }

  /** Progress updates of one run, ending after its terminal status. */
  async *follow(runId: string, signal?: AbortSignal): AsyncGenerator<RunProgress> {
    const first = this.states.get(runId);
    if (first !== undefined) {
      yield first;
      if (TERMINAL.has(first.status)) return;
    }
    try {
      for await (const [progress] of on(this.events, 'progress', signal === undefined ? {} : { signal }) as AsyncIterable<[RunProgress]>) {
        if (progress.runId !== runId) continue;
        yield progress;
        if (TERMINAL.has(progress.status)) return;
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }

  /** Cancels every waiting job and stops the running one after its current step; resolves when it has stopped. */
  async stop(): Promise<void> {
    for (const job of [...this.waiting]) this.cancel(job.runId);
    this.current?.stop.abort();
    await this.idle();
  }

  /** Resolves when every job queued so far has ended. */
  async idle(): Promise<void> {
    while (this.current !== undefined || this.waiting.length > 0) await this.drained;
  }

  private update(progress: RunProgress): void {
    this.states.set(progress.runId, progress);
    this.events.emit('progress', progress);
  }

  private async drain(): Promise<void> {
    for (let job = this.waiting.shift(); job !== undefined; job = this.waiting.shift()) {
      const stop = new AbortController();
      this.current = { job, stop };
      const runId = job.runId;
      this.update({ runId, status: 'running', step: 0 });
      try {
        await this.execute(job, stop.signal, (event) => {
          const state = this.states.get(runId) as RunProgress;
          if (event.type === 'started') this.update({ ...state, totalSteps: event.totalSteps });
          else if (event.type === 'step') this.update({ ...state, step: event.step, loss: event.loss, learningRate: event.learningRate });
          else this.update({ ...state, evaluatedStep: event.step });
        });
        this.update({ ...(this.states.get(runId) as RunProgress), status: 'finished' });
      } catch (error) {
        const cause = error instanceof RunFailedError ? error.cause : (error as Error);
        const status = cause instanceof RunStoppedError ? 'cancelled' : 'failed';
        this.update({ ...(this.states.get(runId) as RunProgress), status, error: cause.message });
      }
    }
    this.current = undefined;
  }
}
