/** Entry of a ThreadPool thread: builds its own container, then runs the jobs it is sent, one at a time. */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createContainer } from '../container.js';
import type { Plugin } from '../contracts/plugin.js';
import { PluginRegistry } from '../registry/registry.js';
import { RunFailedError } from '../runs/runner.js';
import { isUserError } from '../contracts/errors.js';
import { RunStoppedError } from '../training/trainer.js';
import { runJob } from './run-job.js';
import { BACKGROUND_NICE } from './thread-pool.js';
import type { FromWorker, ToWorker, WorkerSetup } from './thread-pool.js';

const port = parentPort;
if (port === null) throw new Error('thread-worker.js runs as a worker thread of ThreadPool');
const setup = workerData as WorkerSetup;
const send = (message: FromWorker): void => port.postMessage(message);

// Linux keeps a nice value per thread, so this lowers this thread (and those it starts) only; on other systems it
// would lower the whole process, the thread that answers queries included.
if (setup.background === true && process.platform === 'linux') setPriority(BACKGROUND_NICE);

try {
  const builtins = ((await import(setup.builtinsModule)) as { builtinPlugins: readonly Plugin[] }).builtinPlugins;
  const container = await createContainer({
    builtins,
    cwd: setup.cwd,
    plugins: setup.plugins,
    ...(setup.backend === undefined ? {} : { backend: setup.backend }),
  });
  const registry = container.resolve(PluginRegistry);
  const stops = new Map<string, AbortController>();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') {
      stops.get(message.runId)?.abort();
      return;
    }
    const { job } = message;
    const stop = new AbortController();
    stops.set(job.runId, stop);
    runJob(job, {
      registry,
      cacheDir: setup.cacheDir,
      dataDir: setup.dataDir,
      signal: stop.signal,
      onEvent: (event) => send({ type: 'event', runId: job.runId, event }),
    })
      .then((result) => send({ type: 'done', runId: job.runId, result }))
      .catch((error: unknown) => {
        const cause = error instanceof RunFailedError ? error.cause : (error as Error);
        send({
          type: 'failed',
          runId: job.runId,
          name: cause.name,
          message: cause.message,
          userError: isUserError(cause),
          ...(cause instanceof RunStoppedError ? { stoppedAt: cause.step } : {}),
        });
      })
      .finally(() => stops.delete(job.runId));
  });
  const { getBackend } = await import('@tensorflow/tfjs');
  send({ type: 'ready', backend: getBackend() });
} catch (error) {
  send({ type: 'setup-failed', error: (error as Error).message });
}
