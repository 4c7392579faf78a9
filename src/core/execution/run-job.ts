import { dirname, join } from 'node:path';
import type { ProgressListener } from '../contracts/dataset.js';
import type { RunEnvironment } from '../runs/environment.js';
import { runFineTuning } from '../runs/runner.js';
import type { RunContext, RunResult } from '../runs/runner.js';
import type { JobEvent, RunJob } from './job.js';
import { makeDir } from '../user-files.js';

export interface JobContext extends RunEnvironment {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: JobEvent) => void;
  readonly onProgress?: ProgressListener;
  readonly saveModel?: RunContext['saveModel'];
  readonly saveAdaptation?: string;
}

/** Where a run keeps its training checkpoint, under the data directory. */
export const checkpointFileOf = (dataDir: string, runId: string): string =>
  join(dataDir, 'checkpoints', runId, 'training.safetensors');

/**
 * Executes a job here (this process or thread), writing a training checkpoint after every evaluation and reporting
 * every event; stores nothing itself, so the same code runs in-process, on worker threads and on remote workers.
 */
export async function runJob(job: RunJob, context: JobContext): Promise<RunResult> {
  const file = job.resume?.file ?? checkpointFileOf(context.dataDir, job.runId);
  makeDir(dirname(file), 'training checkpoint folder (in PARETUNE_DATA_DIR)');
  return runFineTuning(job.spec, {
    registry: context.registry,
    cacheDir: context.cacheDir,
    dataDir: context.dataDir,
    ...(context.onEvent === undefined ? {} : { onEvent: context.onEvent }),
    ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
    checkpoint: {
      file,
      ...(job.resume === undefined ? {} : { resume: { points: job.resume.points } }),
      onSaved: (step) => context.onEvent?.({ type: 'checkpoint', step, path: file }),
    },
    ...(context.saveAdaptation === undefined ? {} : { saveAdaptation: context.saveAdaptation }),
    ...(context.saveModel === undefined ? {} : { saveModel: context.saveModel }),
  });
}
