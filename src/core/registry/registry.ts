import type { DependencyContainer, InjectionToken } from 'tsyringe';
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
 * Every plugin known to this process, kept in the tsyringe container under one token per family.
 * The registry is the only way plugins get in or are looked up, so every check happens here.
 */
export class PluginRegistry {
  constructor(
    private readonly di: DependencyContainer,
    private readonly tokens: { readonly [F in PluginFamily]: InjectionToken<RegisteredPlugin<PluginOf<F>>> },
  ) {}

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
    this.di.registerInstance(this.tokens[plugin.family] as InjectionToken<RegisteredPlugin>, { plugin, origin });
  }

  /** The plugins of a family in registration order (built-ins first). */
  list<F extends PluginFamily>(family: F): readonly RegisteredPlugin<PluginOf<F>>[] {
    const token = this.tokens[family];
    return this.di.isRegistered(token) ? this.di.resolveAll(token) : [];
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
