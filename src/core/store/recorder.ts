import type { JobEvent } from '../execution/job.js';
import { RunFailedError } from '../runs/runner.js';
import type { RunResult } from '../runs/runner.js';
import { RunStoppedError } from '../training/trainer.js';
import { PARETUNE_VERSION } from '../version.js';
import type { Store } from './store.js';

/**
 * Stores a run as it goes, wherever it executes: the run row when it starts (a spec refused before any work leaves
 * no row), each evaluation's points in one transaction, and each training checkpoint it writes. Points are keyed by
 * run, step, metric and context, so an event delivered twice (a retried job) stores nothing twice.
 */
export function recordRun(store: Store, runId: string, options: { experimentId?: string; resuming?: boolean } = {}): (event: JobEvent) => void {
  const { experimentId, resuming = false } = options;
  return (event) => {
    if (event.type === 'started' && (resuming || store.getRun(runId) !== undefined)) {
      store.markResumed(runId);
    } else if (event.type === 'started') {
      const { spec } = event;
      const name = (ref: string | { name: string }): string => (typeof ref === 'string' ? ref : ref.name);
      store.createRun({
        id: runId,
        ...(experimentId === undefined ? {} : { experimentId }),
        spec,
        seed: spec.seed,
        strategy: spec.strategies.map(name).join('+'),
        dataset: name(spec.dataset),
        model: event.model,
        backend: event.backend,
        plugins: event.plugins,
        paretuneVersion: PARETUNE_VERSION,
      });
    } else if (event.type === 'evaluation') {
      store.recordPoints(runId, event.points);
    } else if (event.type === 'checkpoint') {
      store.recordCheckpoint(runId, event.step, event.path);
    }
  };
}

/** Stores a run's end: its result summary, or its failure (`cancelled` when it was stopped, resumable). */
export function recordOutcome(store: Store, runId: string, outcome: { result: RunResult } | { error: unknown }): void {
  if ('result' in outcome) {
    const { points: _points, ...summary } = outcome.result;
    store.finishRun(runId, { bestStep: summary.bestStep, lastStep: summary.lastStep, seconds: summary.seconds.total, result: summary });
    return;
  }
  if (store.getRun(runId) === undefined) return; // refused before it started: nothing stored
  const cause = outcome.error instanceof RunFailedError ? outcome.error.cause : outcome.error;
  if (cause instanceof RunStoppedError) store.failRun(runId, cause.message, 'cancelled');
  else store.failRun(runId, (outcome.error as Error).message);
}
