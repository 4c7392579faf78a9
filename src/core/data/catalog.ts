import { ConfigError } from '../contracts/config.js';
import type { PluginRegistry } from '../registry/registry.js';
import { datasetFiles } from './files.js';

/** A dataset plugin as users see it: what it holds (for a config) and whether its files are here. */
export interface DatasetEntry {
  readonly name: string;
  readonly version: string;
  readonly origin: string;
  readonly description: string;
  /** False when the plugin needs a config that was not given (or is invalid); `detail` says why. */
  readonly configured: boolean;
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
  readonly splits?: readonly string[];
  readonly domains?: readonly string[];
  readonly nativeResolution?: number;
  readonly present: boolean;
  readonly bytes?: number;
  readonly detail: string;
}

/** Every dataset plugin with its classes, splits and local availability, using `configs[name]` where given. */
export function datasetCatalog(
  registry: PluginRegistry,
  dataDir: string,
  configs: Readonly<Record<string, unknown>> = {},
): DatasetEntry[] {
  return registry.list('dataset').map(({ plugin, origin }) => {
    const name = plugin.meta.name;
    const entry = { name, version: plugin.meta.version, origin, description: plugin.meta.description };
    const parsed = plugin.configSchema.safeParse(configs[name] ?? {});
    if (!parsed.success) return { ...entry, configured: false, present: false, detail: 'needs a config' };
    try {
      const d = plugin.describe(parsed.data);
      const availability = plugin.availability?.(parsed.data, datasetFiles(dataDir, name)) ?? {
        present: false,
        detail: 'the plugin does not report availability',
      };
      return {
        ...entry,
        configured: true,
        numClasses: d.numClasses,
        classNames: d.classNames,
        splits: d.splits,
        ...(d.domains === undefined ? {} : { domains: d.domains }),
        ...(d.nativeResolution === undefined ? {} : { nativeResolution: d.nativeResolution }),
        ...availability,
      };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { ...entry, configured: false, present: false, detail: error.message };
    }
  });
}
