import { randomUUID } from 'node:crypto';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import type { PluginRegistry } from '../registry/registry.js';
import { expandExperiment, stableJson } from '../runs/experiment.js';
import type { Experiment } from '../runs/experiment.js';
import type { RunResult } from '../runs/runner.js';
import { resolveRun } from '../runs/spec.js';
import { recordOutcome, recordRun } from '../store/recorder.js';
import type { Store } from '../store/store.js';
import type { JobEvent, RunJob } from './job.js';

/**
 * Executes a job with `execute` (here, on a worker thread or on a remote worker) and stores it as it goes, in this
 * process: its row, points and checkpoints from its events, then its result or failure (`cancelled` when stopped,
 * resumable). Rethrows the run's error after storing it.
 */
export async function executeStoredRun(
  store: Store,
  job: RunJob,
  execute: (onEvent: (event: JobEvent) => void) => Promise<RunResult>,
  onEvent?: (event: JobEvent) => void,
): Promise<RunResult> {
  const record = recordRun(store, job.runId, { resuming: job.resume !== undefined, ...(job.experimentId === undefined ? {} : { experimentId: job.experimentId }) });
  try {
    const result = await execute((event) => {
      record(event);
      onEvent?.(event);
    });
    recordOutcome(store, job.runId, { result });
    return result;
  } catch (error) {
    recordOutcome(store, job.runId, { error });
    throw error;
  }
}

/** One run of an experiment and what to do with it. */
export interface PlannedRun {
  readonly spec: unknown;
  readonly runId: string;
  /**
   * `finished`: stored already, skipped; `running`: running in a live process (or queued or running in `live`),
   * skipped; `resume`: interrupted or cancelled, continued from `resume`; `new`: not run yet.
   */
  readonly action: 'finished' | 'running' | 'resume' | 'new';
  readonly resume?: { readonly file: string; readonly points: readonly MeasuredPoint[] };
}

/**
 * Validates an experiment (every run spec and plugin config, before anything is stored), records it, and says for
 * each of its runs whether it is finished, running, resumable from a checkpoint, or still to run: running an
 * experiment again continues it. `live` are the jobs the caller already holds (queued or running).
 */
export function planExperiment(experiment: Experiment, store: Store, registry: PluginRegistry, live: readonly RunJob[] = []): { id: string; runs: PlannedRun[] } {
  const runs = expandExperiment(experiment);
  for (const { spec } of runs) resolveRun(spec, registry);
  const { id } = store.experiment(experiment.name, stableJson(experiment));
  const stored = store.listRuns({ experimentId: id });
  const held = live.filter((job) => job.experimentId === id);
  return {
    id,
    runs: runs.map(({ spec, key }) => {
      const holding = held.find((job) => stableJson(job.spec) === key);
      if (holding !== undefined) return { spec, runId: holding.runId, action: 'running' };
      const previous = stored.find((r) => stableJson(r.spec) === key && r.status !== 'failed');
      if (previous?.status === 'finished') return { spec, runId: previous.id, action: 'finished' };
      if (previous?.status === 'running' && !previous.interrupted) return { spec, runId: previous.id, action: 'running' };
      const checkpoint = previous === undefined ? undefined : store.latestCheckpoint(previous.id);
      if (previous !== undefined && (previous.interrupted || previous.status === 'cancelled') && checkpoint !== undefined) {
        return { spec, runId: previous.id, action: 'resume', resume: resumeOf(store, previous.id, checkpoint) };
      }
      return { spec, runId: randomUUID(), action: 'new' };
    }),
  };
}

/** What a run needs to resume from its checkpoint: the file and the points measured up to it. */
export function resumeOf(store: Store, runId: string, checkpoint: { step: number; path: string }): { file: string; points: MeasuredPoint[] } {
  return { file: checkpoint.path, points: store.points(runId).filter((p) => p.step <= checkpoint.step && p.context['checkpoint'] === undefined) };
}
