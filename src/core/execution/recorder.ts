import { RunFailedError } from '../runs/runner.js';
import type { RunResult } from '../runs/runner.js';
import type { RunSpec } from '../runs/spec.js';
import type { NewRun, Store } from '../store/store.js';
import { RunStoppedError } from '../training/trainer.js';
import { PARETUNE_VERSION } from '../version.js';
import type { JobEvent } from './job.js';

/** The row of a new run with this spec (validated), claimed by the store that records it. */
export function newRunOf(
  runId: string,
  spec: RunSpec,
  details: {
    experimentId?: string;
    modelId?: string;
    model?: string;
    backend?: string;
    plugins?: readonly string[];
  } = {},
): NewRun {
  const name = (ref: string | { name: string }): string => (typeof ref === 'string' ? ref : ref.name);
  return {
    id: runId,
    spec,
    seed: spec.seed,
    strategy: spec.strategies.map(name).join('+'),
    dataset: name(spec.dataset),
    paretuneVersion: PARETUNE_VERSION,
    ...details,
  };
}

/**
 * Stores a run as it goes, wherever it executes: the run row when it starts (a run refused before any work leaves
 * no row; an experiment's runs have theirs from when they were claimed), each evaluation's points in one transaction,
 * and each training checkpoint it writes. Points are keyed by run, step, metric and context, so an event delivered
 * twice (a retried job) stores nothing twice.
 */
export function recordRun(
  store: Store,
  runId: string,
  options: { experimentId?: string } = {},
): (event: JobEvent) => void {
  const { experimentId } = options;
  return (event) => {
    if (event.type === 'started') {
      const details = { modelId: event.modelId, model: event.model, backend: event.backend, plugins: event.plugins };
      if (store.getRun(runId) !== undefined) store.markStarted(runId, details);
      else
        store.createRun(
          newRunOf(runId, event.spec, { ...(experimentId === undefined ? {} : { experimentId }), ...details }),
        );
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
    const { points, ...summary } = outcome.result;
    // Every point of the run again (an upsert of those already stored): a progress report lost on the way, as when a
    // coordinator takes a run over from one that was killed, cannot leave the finished run without its point.
    store.recordPoints(runId, points);
    store.finishRun(runId, {
      bestStep: summary.bestStep,
      lastStep: summary.lastStep,
      seconds: summary.seconds.total,
      result: summary,
    });
    return;
  }
  // Ended before it started (refused, or its checkpoint unreadable): it did nothing, so it stays as it was.
  if (store.releaseClaim(runId) || store.getRun(runId) === undefined) return;
  const cause = outcome.error instanceof RunFailedError ? outcome.error.cause : outcome.error;
  if (cause instanceof RunStoppedError) store.failRun(runId, cause.message, 'cancelled');
  else store.failRun(runId, (outcome.error as Error).message);
}
