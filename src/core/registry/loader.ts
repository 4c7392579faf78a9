import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPluginLike, PluginError } from '../contracts/plugin.js';

/** A plugin found in a module, with a description of where it came from. */
export interface LoadedPlugin {
  readonly plugin: unknown;
  readonly origin: string;
}

/**
 * Resolves a plugin module specifier as Node would from `baseDir`: a path (relative to `baseDir`, or
 * absolute; a directory uses its package.json) or an npm package name installed where `baseDir` can see it.
 */
function resolveSpecifier(specifier: string, baseDir: string, requestedBy: string): string {
  try {
    return createRequire(join(baseDir, 'noop.js')).resolve(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const detail = code === 'MODULE_NOT_FOUND' ? 'not found' : (error as Error).message.split('\n')[0];
    throw new PluginError(
      `plugin module '${specifier}' (from ${requestedBy}) cannot be resolved from ${baseDir}: ${detail}; ` +
        `give a path to the plugin or install its npm package`,
    );
  }
}

/** The plugins a module exports: a default export (a plugin or an array), or a `plugins` array export. */
function pluginsOf(exports: Record<string, unknown>): unknown[] | undefined {
  const candidates = [exports['default'], exports['plugins'], (exports['default'] as { plugins?: unknown } | undefined)?.plugins];
  for (const candidate of candidates) {
    if (isPluginLike(candidate)) return [candidate];
    if (Array.isArray(candidate) && candidate.length > 0 && candidate.every(isPluginLike)) return candidate;
  }
  return undefined;
}

/** Imports plugin modules and returns the plugins they export, in order. */
export async function loadPluginModules(specifiers: readonly string[], baseDir: string, requestedBy: string): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const specifier of specifiers) {
    const file = resolveSpecifier(specifier, baseDir, requestedBy);
    let exports: Record<string, unknown>;
    try {
      exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new PluginError(`plugin module '${specifier}' (${file}) failed to load: ${(error as Error).message.split('\n')[0]}`);
    }
    const plugins = pluginsOf(exports);
    if (plugins === undefined) {
      const names = Object.keys(exports);
      throw new PluginError(
        `module '${specifier}' (${file}) does not export a paretune plugin: expected a default export made with ` +
          `definePlugin() (or an array of them), or a 'plugins' array export; it exports ${names.length === 0 ? 'nothing' : names.join(', ')}`,
      );
    }
    for (const plugin of plugins) loaded.push({ plugin, origin: `'${specifier}'` });
  }
  return loaded;
}
