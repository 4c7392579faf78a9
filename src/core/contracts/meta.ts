/**
 * Plugin identity shared by every family.
 *
 * @packageDocumentation
 */

/**
 * The plugin API version this build of paretune provides. A plugin declares the version it was written
 * against in {@link PluginMeta.apiVersion}; the registry refuses a plugin whose version differs, because
 * the contracts below may change shape between API versions.
 */
export const PLUGIN_API_VERSION = 1;

/** The five plugin families. Each has its own injection token and its own namespace of names. */
export const PLUGIN_FAMILIES = ['strategy', 'attack', 'shift', 'dataset', 'metric'] as const;

/** One of {@link PLUGIN_FAMILIES}. */
export type PluginFamily = (typeof PLUGIN_FAMILIES)[number];

/** Identity of a plugin. Runs record `name@version` of every plugin they used. */
export interface PluginMeta {
  /** Unique within its family: lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit. */
  readonly name: string;
  /** The plugin's own semantic version, e.g. `1.2.0`. */
  readonly version: string;
  /** The plugin API version the plugin was written against; must equal {@link PLUGIN_API_VERSION}. */
  readonly apiVersion: number;
  /** One sentence for listings (`paretune info`, the GraphQL `plugins` query). */
  readonly description: string;
}
