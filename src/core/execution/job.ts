import type { MeasuredPoint } from '../evaluation/evaluator.js';
import type { RunEvent } from '../runs/runner.js';

/** Where a run continues from: its training checkpoint and the points measured up to it. */
export interface RunResume {
  readonly file: string;
  readonly points: readonly MeasuredPoint[];
}

/** A run to execute: its spec and where it stands. Plain data, so it crosses threads and queues. */
export interface RunJob {
  readonly runId: string;
  readonly spec: unknown;
  readonly experimentId?: string;
  /** Continue from a training checkpoint, keeping the points measured up to it. */
  readonly resume?: RunResume;
  readonly queuedAt: string;
}

/** What a run reports while it executes: the run's own events, and each training checkpoint it writes. */
export type JobEvent = RunEvent | { readonly type: 'checkpoint'; readonly step: number; readonly path: string };
