import type { PluginRegistry } from '../registry/registry.js';

/**
 * What every run finds its plugins and files through, whoever executes it (the CLI, a worker thread, a
 * `paretune worker` process): the same plugins and folders in each (see paths.ts).
 */
export interface RunEnvironment {
  readonly registry: PluginRegistry;
  /** Downloads: checkpoints and dataset archives. */
  readonly cacheDir: string;
  /** Datasets, run checkpoints and the database. */
  readonly dataDir: string;
}
