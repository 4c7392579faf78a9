import type { Store } from '../store/store.js';
import { DistributedCoordinator } from './distributed.js';
import type { RedisSettings } from './distributed.js';
import type { JobExecutor } from './queue.js';
import { executeStoredRun } from './stored-run.js';
import { ThreadPool } from './thread-pool.js';
import type { WorkerSetup } from './thread-pool.js';

/**
 * Where the runs of `paretune experiment` and `paretune serve` execute: on worker threads of this process or on
 * `paretune worker` processes through Redis. Either way they execute off this process's event loop, and only this
 * process writes the store.
 */
export interface RunExecutor {
  /** Executes one job and stores it as it goes. */
  readonly execute: JobExecutor;
  /** How many jobs it executes at a time. */
  readonly concurrency: number;
  /** Where runs execute, in words ("on 2 worker threads"). */
  readonly where: string;
  /** Whether runs go on when this process stops (remote workers) rather than stopping with it. */
  readonly detached: boolean;
  close(): Promise<void>;
}

export type ExecutorOptions =
  | { readonly store: Store; readonly redis: RedisSettings }
  | { readonly store: Store; readonly threads: number; readonly setup: WorkerSetup };

/**
 * Connects to Redis (failing within seconds when it cannot be reached, before anything is stored) or starts
 * `threads` worker threads, each with its own backend and plugins.
 */
export async function executorFor(options: ExecutorOptions): Promise<RunExecutor> {
  const { store } = options;
  if ('redis' in options) {
    const coordinator = await DistributedCoordinator.connect(options.redis, store);
    // Every run goes to Redis at once; the workers pace them.
    return {
      execute: coordinator.executor(),
      concurrency: Number.MAX_SAFE_INTEGER,
      where: `on workers through ${options.redis.url}`,
      detached: true,
      close: () => coordinator.close(),
    };
  }
  const pool = await ThreadPool.start(options.threads, options.setup);
  return {
    execute: (job, signal, onEvent) => executeStoredRun(store, job, (record) => pool.run(job, signal, record), onEvent),
    concurrency: options.threads,
    where: `on ${options.threads} worker thread${options.threads === 1 ? '' : 's'}`,
    detached: false,
    close: () => pool.close(),
  };
}
