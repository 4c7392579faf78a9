import type { DependencyContainer } from 'tsyringe';
import { createContainer } from '../core/container.js';
import type { WorkerSetup } from '../core/execution/thread-pool.js';
import { cacheDir, dataDir } from '../core/paths.js';
import { backendRequest } from '../core/tensor/backend.js';
import { builtinPlugins } from '../plugins/index.js';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly backend?: string;
  readonly plugin: readonly string[];
}

/** Where a command reads and writes; the real process streams, or buffers in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The container for one CLI invocation: backend, built-in plugins, then project and `--plugin` plugins. */
export function containerFor(options: GlobalOptions, io: CliIo): Promise<DependencyContainer> {
  return createContainer({
    builtins: builtinPlugins,
    cwd: io.cwd,
    plugins: options.plugin,
    backend: backendRequest(options.backend, io.env),
  });
}

/** What each worker thread of a command needs to build the same container: the same plugins, backend and folders. */
export function workerSetup(options: GlobalOptions, io: CliIo): WorkerSetup {
  const backend = backendRequest(options.backend, io.env);
  return {
    builtinsModule: new URL('../plugins/index.js', import.meta.url).href,
    cwd: io.cwd,
    plugins: options.plugin,
    ...(backend === undefined ? {} : { backend }),
    cacheDir: cacheDir(io.env),
    dataDir: dataDir(io.env),
  };
}
