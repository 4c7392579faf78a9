import { Worker } from 'node:worker_threads';
import type { RunResult } from '../runs/runner.js';
import { RunStoppedError } from '../training/trainer.js';
import type { BackendRequest } from '../tensor/backend.js';
import type { JobEvent, RunJob } from './job.js';

/** What a worker thread needs to build its own container: plugins by module, backend, directories. */
export interface WorkerSetup {
  /** Module (file URL or package name) whose default export is the built-in plugin bundle. */
  readonly builtinsModule: string;
  readonly cwd: string;
  readonly plugins: readonly string[];
  readonly backend?: BackendRequest;
  readonly cacheDir: string;
  readonly dataDir: string;
}

/** Messages between the pool and its threads. */
export type ToWorker = { readonly type: 'run'; readonly job: RunJob } | { readonly type: 'cancel'; readonly runId: string };
export type FromWorker =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'setup-failed'; readonly error: string }
  | { readonly type: 'event'; readonly runId: string; readonly event: JobEvent }
  | { readonly type: 'done'; readonly runId: string; readonly result: RunResult }
  | { readonly type: 'failed'; readonly runId: string; readonly name: string; readonly message: string; readonly stoppedAt?: number };

/** A run that failed on a worker thread or a remote worker, with the original error's name and message. */
export class RemoteRunError extends Error {
  override readonly name = 'RemoteRunError';
  constructor(
    readonly runId: string,
    readonly remoteName: string,
    message: string,
  ) {
    super(`run ${runId} failed: ${message}`);
  }
}

interface Slot {
  readonly worker: Worker;
  busy?: { runId: string; onEvent: (event: JobEvent) => void; resolve: (r: RunResult) => void; reject: (e: Error) => void };
}

const WORKER_ENTRY = new URL('./thread-worker.js', import.meta.url);

/**
 * A pool of worker threads, one run at a time on each; every thread selects its own TensorFlow.js backend and
 * loads the same plugins. Runs report their events back here, so the caller (which owns the store) records them.
 */
export class ThreadPool {
  private readonly waiting: { job: RunJob; slot: (s: Slot) => void }[] = [];

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) slot.worker.on('message', (message: FromWorker) => this.receive(slot, message));
  }

  /** Starts `size` threads and waits until each has its backend and plugins. */
  static async start(size: number, setup: WorkerSetup): Promise<ThreadPool> {
    const slots = await Promise.all(
      Array.from({ length: size }, async () => {
        const worker = new Worker(WORKER_ENTRY, { workerData: setup });
        await new Promise<void>((resolve, reject) => {
          const onMessage = (message: FromWorker): void => {
            if (message.type === 'ready') resolve();
            else if (message.type === 'setup-failed') reject(new Error(`a worker thread could not start: ${message.error}`));
            worker.off('message', onMessage);
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
        });
        return { worker };
      }),
    );
    return new ThreadPool(slots);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs a job on the next free thread; `signal` stops it after its current step (RunStoppedError). */
  async run(job: RunJob, signal: AbortSignal, onEvent: (event: JobEvent) => void): Promise<RunResult> {
    const slot = this.slots.find((s) => s.busy === undefined) ?? (await new Promise<Slot>((resolve) => this.waiting.push({ job, slot: resolve })));
    if (signal.aborted) throw new RunStoppedError(0);
    return new Promise<RunResult>((resolve, reject) => {
      slot.busy = { runId: job.runId, onEvent, resolve, reject };
      const cancel = (): void => slot.worker.postMessage({ type: 'cancel', runId: job.runId } satisfies ToWorker);
      signal.addEventListener('abort', cancel, { once: true });
      slot.worker.postMessage({ type: 'run', job } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private receive(slot: Slot, message: FromWorker): void {
    const busy = slot.busy;
    if (busy === undefined || !('runId' in message) || message.runId !== busy.runId) return;
    if (message.type === 'event') {
      busy.onEvent(message.event);
      return;
    }
    slot.busy = undefined;
    if (message.type === 'done') busy.resolve(message.result);
    else if (message.type === 'failed') busy.reject(message.stoppedAt !== undefined ? new RunStoppedError(message.stoppedAt) : new RemoteRunError(message.runId, message.name, message.message));
    this.waiting.shift()?.slot(slot);
  }
}
