import { configJsonSchema, parseConfig } from '../contracts/config.js';
import { PLUGIN_FAMILIES } from '../contracts/meta.js';
import type { PluginFamily } from '../contracts/meta.js';
import { PluginError, validatePlugin } from '../contracts/plugin.js';
import type { Plugin, PluginOf } from '../contracts/plugin.js';

/** A plugin with where it came from: `built-in`, or the module specifier it was loaded from, as written (no quotes). */
export interface RegisteredPlugin<P extends Plugin = Plugin> {
  readonly plugin: P;
  readonly origin: string;
}

/**
 * Every plugin known to this process, family by family in registration order. Plugins get in only through
 * `register`, so every check (shape, API version, config schema, unique names) happens here.
 */
export class PluginRegistry {
  private readonly plugins = new Map<PluginFamily, RegisteredPlugin[]>(PLUGIN_FAMILIES.map((family) => [family, []]));

  /** Validates and adds a plugin; refuses a second plugin of the same family and name. */
  register(candidate: unknown, origin: string): void {
    const plugin = validatePlugin(candidate, origin);
    const existing = this.list(plugin.family).find((p) => p.plugin.meta.name === plugin.meta.name);
    if (existing !== undefined) {
      throw new PluginError(
        `two ${plugin.family} plugins are named '${plugin.meta.name}': ${existing.plugin.meta.name}@${existing.plugin.meta.version} ` +
          `from '${existing.origin}' and ${plugin.meta.name}@${plugin.meta.version} from '${origin}'; ` +
          'remove one of them',
      );
    }
    this.plugins.get(plugin.family)?.push({ plugin, origin });
  }

  /** The plugins of a family in registration order (built-ins first). */
  list<F extends PluginFamily>(family: F): readonly RegisteredPlugin<PluginOf<F>>[] {
    // register() files each plugin under its own family, so the list of `family` holds only PluginOf<F>.
    return (this.plugins.get(family) ?? []) as unknown as readonly RegisteredPlugin<PluginOf<F>>[];
  }

  /** Every plugin, family by family. */
  all(): readonly RegisteredPlugin[] {
    return PLUGIN_FAMILIES.flatMap((family) => this.list(family));
  }

  /** The plugin of `family` named `name`; an unknown name lists the available ones. */
  get<F extends PluginFamily>(family: F, name: string): PluginOf<F> {
    const found = this.list(family).find((p) => p.plugin.meta.name === name);
    if (found === undefined) {
      const names = this.list(family).map((p) => p.plugin.meta.name);
      const available = names.length === 0 ? `no ${family} plugins are registered` : `available: ${names.join(', ')}`;
      throw new PluginError(`unknown ${family} '${name}' (${available})`);
    }
    return found.plugin;
  }

  /** Validates a user's config for a plugin, returning it with defaults filled in. */
  parseConfig<F extends PluginFamily>(family: F, name: string, config: unknown): unknown {
    return parseConfig(this.get(family, name).configSchema, config ?? {}, `${family} '${name}' config`);
  }

  /** JSON Schema of a plugin's config, for introspection. */
  configJsonSchema(family: PluginFamily, name: string): Record<string, unknown> {
    return configJsonSchema(this.get(family, name).configSchema);
  }
}
