import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { Plugin } from './contracts/plugin.js';
import { loadPluginModules } from './registry/loader.js';
import { readProjectConfig } from './registry/project-config.js';
import { PluginRegistry } from './registry/registry.js';
import { selectBackend } from './tensor/backend.js';
import type { BackendRequest, BackendSelection } from './tensor/backend.js';

/** The TensorFlow.js backend selected at start-up. */
export const BackendToken: InjectionToken<BackendSelection> = Symbol('paretune.backend');

export interface ContainerOptions {
  /** The built-in plugin bundle, registered first. */
  readonly builtins: readonly Plugin[];
  /** Directory searched for `paretune.config.json` (default: the working directory). */
  readonly cwd?: string;
  /** Plugin modules from `--plugin` flags: npm package names or paths relative to `cwd`. */
  readonly plugins?: readonly string[];
  /** Backend requested by `--backend` or `PARETUNE_BACKEND`. */
  readonly backend?: BackendRequest | undefined;
}

/**
 * Wires paretune: selects the backend, then registers the built-in plugins, then those named in the
 * project config file, then those named by `--plugin`. Any name clash, API-version mismatch or malformed
 * plugin stops start-up with a {@link PluginError}.
 */
export async function createContainer(options: ContainerOptions): Promise<DependencyContainer> {
  const cwd = options.cwd ?? process.cwd();
  const di = rootContainer.createChildContainer();
  di.registerInstance(BackendToken, await selectBackend(options.backend));
  const registry = new PluginRegistry();
  di.registerInstance(PluginRegistry, registry);

  for (const plugin of options.builtins) registry.register(plugin, 'built-in');
  const project = readProjectConfig(cwd);
  if (project !== undefined) {
    for (const loaded of await loadPluginModules(project.config.plugins, project.dir, project.file)) {
      registry.register(loaded.plugin, loaded.origin);
    }
  }
  for (const loaded of await loadPluginModules(options.plugins ?? [], cwd, '--plugin')) {
    registry.register(loaded.plugin, loaded.origin);
  }
  return di;
}
