import { Worker } from 'node:worker_threads';
import { UserError } from '../contracts/errors.js';
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
  /**
   * Runs are background work that yields the CPU to this process's main thread (`paretune serve`: queries are
   * answered first). On Linux the threads' nice value is raised to {@link BACKGROUND_NICE}; elsewhere it is ignored.
   */
  readonly background?: boolean;
}

/** The nice value of background run threads: a tenth of the CPU share of a normal thread under contention. */
export const BACKGROUND_NICE = 10;

/** Messages between the pool and its threads. */
export type ToWorker =
  { readonly type: 'run'; readonly job: RunJob } | { readonly type: 'cancel'; readonly runId: string };
export type FromWorker =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'setup-failed'; readonly error: string }
  | { readonly type: 'event'; readonly runId: string; readonly event: JobEvent }
  | { readonly type: 'done'; readonly runId: string; readonly result: RunResult }
  | {
      readonly type: 'failed';
      readonly runId: string;
      readonly name: string;
      readonly message: string;
      readonly userError: boolean;
      readonly stoppedAt?: number;
    };

/** A run that failed on a worker thread or a remote worker, with the original error's name and message. */
export class RemoteRunError extends UserError {
  override readonly name = 'RemoteRunError';
  constructor(
    readonly runId: string,
    readonly remoteName: string,
    message: string,
  ) {
    super(`run ${runId} failed: ${message}`);
  }
}

/** The error of a run that failed elsewhere: a {@link RemoteRunError} where the user can fix its cause, else a bug's. */
export const remoteFailure = (runId: string, name: string, message: string, userError: boolean): Error =>
  userError ? new RemoteRunError(runId, name, message) : new Error(`run ${runId} failed: ${name}: ${message}`);

interface Slot {
  readonly worker: Worker;
  busy?:
    | {
        runId: string;
        onEvent: (event: JobEvent) => void;
        resolve: (r: RunResult) => void;
        reject: (e: Error) => void;
      }
    | undefined;
  /** The uncaught error that is ending the thread, if any ('exit' follows it). */
  crash?: Error;
}

const WORKER_ENTRY = new URL('./thread-worker.js', import.meta.url);

/** Starts a thread and waits until it has its backend and plugins. */
async function startThread(setup: WorkerSetup): Promise<Slot> {
  const worker = new Worker(WORKER_ENTRY, { workerData: setup });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: FromWorker): void => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'setup-failed') reject(new Error(`a worker thread could not start: ${message.error}`));
      worker.off('message', onMessage);
      worker.off('error', reject);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`a worker thread stopped (exit code ${code}) before it was ready`)));
  });
  worker.removeAllListeners('exit');
  return { worker };
}

/**
 * A pool of worker threads, one run at a time on each; every thread selects its own TensorFlow.js backend and
 * loads the same plugins. Runs report their events back here, so the caller (which owns the store) records them.
 */
export class ThreadPool {
  private readonly waiting: { job: RunJob; slot: (s: Slot) => void; fail: (e: Error) => void }[] = [];
  private closing = false;
  /** Threads being started in place of dead ones. */
  private replacing = 0;

  private constructor(
    private readonly slots: Slot[],
    private readonly setup: WorkerSetup,
  ) {
    for (const slot of slots) this.watch(slot);
  }

  /** Starts `size` threads and waits until each has its backend and plugins. */
  static async start(size: number, setup: WorkerSetup): Promise<ThreadPool> {
    return new ThreadPool(await Promise.all(Array.from({ length: size }, () => startThread(setup))), setup);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs a job on the next free thread; `signal` stops it after its current step (RunStoppedError). */
  async run(job: RunJob, signal: AbortSignal, onEvent: (event: JobEvent) => void): Promise<RunResult> {
    if (this.slots.length === 0 && this.replacing === 0) throw new Error('no worker thread is left to run on');
    const slot =
      this.slots.find((s) => s.busy === undefined) ??
      (await new Promise<Slot>((resolve, reject) => this.waiting.push({ job, slot: resolve, fail: reject })));
    if (signal.aborted) throw new RunStoppedError(0);
    return new Promise<RunResult>((resolve, reject) => {
      slot.busy = { runId: job.runId, onEvent, resolve, reject };
      const cancel = (): void => slot.worker.postMessage({ type: 'cancel', runId: job.runId } satisfies ToWorker);
      signal.addEventListener('abort', cancel, { once: true });
      slot.worker.postMessage({ type: 'run', job } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private watch(slot: Slot): void {
    slot.worker.on('message', (message: FromWorker) => this.receive(slot, message));
    slot.worker.on('error', (error) => (slot.crash = error));
    slot.worker.once('exit', (code) => void this.replace(slot, code));
  }

  /**
   * A thread that ends by itself (out of memory, an uncaught error in a plugin) fails its run, and a new thread
   * takes its place, so that the other runs go on.
   */
  private async replace(dead: Slot, code: number): Promise<void> {
    if (this.closing) return;
    this.slots.splice(this.slots.indexOf(dead), 1);
    const busy = dead.busy;
    dead.busy = undefined;
    busy?.reject(
      new RemoteRunError(
        busy.runId,
        'WorkerThreadExited',
        `its worker thread stopped (exit code ${code})${dead.crash === undefined ? '' : `: ${dead.crash.message}`}`,
      ),
    );
    let slot: Slot;
    this.replacing += 1;
    try {
      slot = await startThread(this.setup);
    } catch (error) {
      // Without a thread left, nothing would ever take the waiting runs.
      if (this.slots.length === 0 && this.replacing === 1)
        for (const waiter of this.waiting.splice(0)) waiter.fail(error as Error);
      return;
    } finally {
      this.replacing -= 1;
    }
    if (this.closing) {
      await slot.worker.terminate();
      return;
    }
    this.slots.push(slot);
    this.watch(slot);
    this.waiting.shift()?.slot(slot);
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
    else if (message.type === 'failed')
      busy.reject(
        message.stoppedAt !== undefined
          ? new RunStoppedError(message.stoppedAt)
          : remoteFailure(message.runId, message.name, message.message, message.userError),
      );
    this.waiting.shift()?.slot(slot);
  }
}
