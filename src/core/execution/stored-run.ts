import { randomUUID } from 'node:crypto';
import type { PluginRegistry } from '../registry/registry.js';
import { expandExperiment, stableJson } from '../runs/experiment.js';
import type { Experiment } from '../runs/experiment.js';
import type { RunResult } from '../runs/runner.js';
import { resolveRun } from '../runs/spec.js';
import type { RunSpec } from '../runs/spec.js';
import { newRunOf, recordOutcome, recordRun } from './recorder.js';
import type { Store } from '../store/store.js';
import type { JobEvent, RunJob, RunResume } from './job.js';

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
  const record = recordRun(store, job.runId, job.experimentId === undefined ? {} : { experimentId: job.experimentId });
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
   * skipped; `resume`: interrupted or cancelled, claimed, continued from `resume`; `new`: claimed, to run from step 0
   * (a run interrupted before its first checkpoint starts again under its own id).
   */
  readonly action: 'finished' | 'running' | 'resume' | 'new';
  readonly resume?: RunResume;
}

/** Every run spec of an experiment, validated with its plugins and their configs; throws the first problem. */
export function validateExperiment(experiment: Experiment, registry: PluginRegistry): { spec: RunSpec; key: string }[] {
  return expandExperiment(experiment).map(({ key, spec }) => ({ key, spec: resolveRun(spec, registry).spec }));
}

/**
 * Validates an experiment (every run spec and plugin config, before anything is stored), records it, and says for
 * each of its runs whether it is finished, running, resumable from a checkpoint, or still to run: running an
 * experiment again continues it. `live` are the jobs the caller already holds (queued or running).
 *
 * The runs to execute are claimed for `store` in the same write transaction (one row each), so that another process
 * planning the same experiment at once waits for it and then leaves them to this one. Claims that never start are
 * given back when the store closes.
 */
export function planExperiment(
  experiment: Experiment,
  store: Store,
  registry: PluginRegistry,
  live: readonly RunJob[] = [],
): { id: string; runs: PlannedRun[] } {
  const runs = validateExperiment(experiment, registry);
  return store.exclusively(() => {
    const { id } = store.experiment(experiment.name, stableJson(experiment));
    const stored = store.listRuns({ experimentId: id });
    const held = live.filter((job) => job.experimentId === id);
    const plan = (spec: RunSpec, key: string): PlannedRun => {
      const holding = held.find((job) => stableJson(job.spec) === key);
      if (holding !== undefined) return { spec, runId: holding.runId, action: 'running' };
      const previous = stored.find((r) => stableJson(r.spec) === key && r.status !== 'failed');
      if (previous?.status === 'finished') return { spec, runId: previous.id, action: 'finished' };
      if (previous === undefined) {
        const runId = randomUUID();
        store.claimNewRun(newRunOf(runId, spec, { experimentId: id }));
        return { spec, runId, action: 'new' };
      }
      if (!store.takeOver(previous.id)) return { spec, runId: previous.id, action: 'running' };
      const checkpoint = store.latestCheckpoint(previous.id);
      if (checkpoint === undefined) return { spec, runId: previous.id, action: 'new' };
      return { spec, runId: previous.id, action: 'resume', resume: resumeOf(store, previous.id, checkpoint) };
    };
    return { id, runs: runs.map(({ spec, key }) => plan(spec, key)) };
  });
}

/** What a run needs to resume from its checkpoint: the file and the points measured up to it. */
export function resumeOf(store: Store, runId: string, checkpoint: { step: number; path: string }): RunResume {
  return {
    file: checkpoint.path,
    points: store.points(runId).filter((p) => p.step <= checkpoint.step && p.context['checkpoint'] === undefined),
  };
}
