import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProgressListener } from '../contracts/dataset.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import type { PluginRegistry } from '../registry/registry.js';
import { recordRun } from '../store/recorder.js';
import type { Store } from '../store/store.js';
import { RunStoppedError } from '../training/trainer.js';
import { expandExperiment, stableJson } from './experiment.js';
import type { Experiment } from './experiment.js';
import { RunFailedError, runFineTuning } from './runner.js';
import type { RunContext, RunEvent, RunResult } from './runner.js';
import { resolveRun } from './spec.js';

export interface StoredRunOptions {
  readonly spec: unknown;
  readonly runId: string;
  readonly store: Store;
  readonly registry: PluginRegistry;
  /** Name of the TensorFlow.js backend, recorded with the run. */
  readonly backend: string;
  readonly cacheDir: string;
  readonly dataDir: string;
  readonly experimentId?: string;
  /** Continue an interrupted run from its checkpoint file, keeping the points it measured up to it. */
  readonly resume?: { readonly file: string; readonly points: readonly MeasuredPoint[] };
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
  readonly onProgress?: ProgressListener;
  readonly saveModel?: RunContext['saveModel'];
  readonly saveAdaptation?: string;
}

/**
 * Runs (or resumes) a run and stores it as it goes: the run row when it starts, each evaluation's points, a
 * training checkpoint after every evaluation, and at the end its result, or its failure (`cancelled` when stopped
 * through `signal`, resumable from the last checkpoint). Rethrows the run's error after storing it.
 */
export async function executeStoredRun(options: StoredRunOptions): Promise<RunResult> {
  const { spec, runId, store, experimentId, resume } = options;
  const record = recordRun(store, runId, options.backend, { resuming: resume !== undefined, ...(experimentId === undefined ? {} : { experimentId }) });
  const checkpointFile = resume?.file ?? join(options.dataDir, 'checkpoints', runId, 'training.safetensors');
  mkdirSync(dirname(checkpointFile), { recursive: true });
  try {
    const result = await runFineTuning(spec, {
      registry: options.registry,
      cacheDir: options.cacheDir,
      dataDir: options.dataDir,
      onEvent: (event) => {
        record(event);
        options.onEvent?.(event);
      },
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      checkpoint: { file: checkpointFile, ...(resume === undefined ? {} : { resume: { points: resume.points } }), onSaved: (step) => store.recordCheckpoint(runId, step, checkpointFile) },
      ...(options.saveAdaptation === undefined ? {} : { saveAdaptation: options.saveAdaptation }),
      ...(options.saveModel === undefined ? {} : { saveModel: options.saveModel }),
    });
    const { points: _points, ...summary } = result;
    store.finishRun(runId, { bestStep: result.bestStep, lastStep: result.lastStep, seconds: result.seconds.total, result: summary });
    return result;
  } catch (error) {
    const cause = error instanceof RunFailedError ? error.cause : error;
    if (store.getRun(runId) !== undefined) {
      if (cause instanceof RunStoppedError) store.failRun(runId, cause.message, 'cancelled');
      else store.failRun(runId, (error as Error).message);
    }
    throw error;
  }
}

/** One run of an experiment and what to do with it. */
export interface PlannedRun {
  readonly spec: unknown;
  readonly runId: string;
  /** `finished`: stored already, skipped; `resume`: interrupted, continued from `resume`; `new`: not run yet. */
  readonly action: 'finished' | 'resume' | 'new';
  readonly resume?: { readonly file: string; readonly points: readonly MeasuredPoint[] };
}

/**
 * Validates an experiment (every run spec and plugin config, before anything is stored), records it, and says for
 * each of its runs whether it is finished, resumable from a checkpoint, or still to run: running an experiment
 * again continues it.
 */
export function planExperiment(experiment: Experiment, store: Store, registry: PluginRegistry): { id: string; runs: PlannedRun[] } {
  const runs = expandExperiment(experiment);
  for (const { spec } of runs) resolveRun(spec, registry);
  const { id } = store.experiment(experiment.name, stableJson(experiment));
  const stored = store.listRuns({ experimentId: id });
  return {
    id,
    runs: runs.map(({ spec, key }) => {
      const previous = stored.find((r) => stableJson(r.spec) === key && r.status !== 'failed');
      if (previous?.status === 'finished') return { spec, runId: previous.id, action: 'finished' };
      const checkpoint = previous === undefined ? undefined : store.latestCheckpoint(previous.id);
      if (previous !== undefined && (previous.interrupted || previous.status === 'cancelled') && checkpoint !== undefined) {
        const points = store.points(previous.id).filter((p) => p.step <= checkpoint.step && p.context['checkpoint'] === undefined);
        return { spec, runId: previous.id, action: 'resume', resume: { file: checkpoint.path, points } };
      }
      return { spec, runId: randomUUID(), action: 'new' };
    }),
  };
}
