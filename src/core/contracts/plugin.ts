import { z } from 'zod';
import type { AttackPlugin } from './attack.js';
import { configJsonSchema, describeIssues, findTransform } from './config.js';
import type { ConfigSchema } from './config.js';
import type { DatasetPlugin } from './dataset.js';
import { UserError } from './errors.js';
import { PLUGIN_API_VERSION, PLUGIN_FAMILIES } from './meta.js';
import type { PluginFamily, PluginMeta } from './meta.js';
import type { AggregateMetricPlugin, MetricPlugin, PointMetricPlugin } from './metric.js';
import type { PixelShiftPlugin, ShiftPlugin, SplitShiftPlugin } from './shift.js';
import type { StrategyPlugin } from './strategy.js';

/** What every plugin has: its family, identity and config schema. */
export interface PluginBase<F extends PluginFamily, C> {
  readonly family: F;
  readonly meta: PluginMeta;
  /** Validates and defaults the plugin's config; must be expressible as JSON Schema. */
  readonly configSchema: ConfigSchema<C>;
}

/** Any plugin. Configs are typed `any` here so that plugins with specific config types fit. */
export type Plugin =
  StrategyPlugin<any> | AttackPlugin<any> | ShiftPlugin<any> | DatasetPlugin<any> | MetricPlugin<any>;

/** The plugin of one family. */
export type PluginOf<F extends PluginFamily> = Extract<Plugin, { family: F }>;

/**
 * Thrown when a plugin cannot be used: malformed, written for another API version, clashing with another
 * plugin's name, unknown, or not exported by its module. The message says which and what to do.
 */
export class PluginError extends UserError {
  override readonly name = 'PluginError';
}

const fn = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', {
  message: 'expected a function',
});

/** What a plugin name may be: it is typed on command lines and in configs. */
export const PLUGIN_NAME = /^[a-z0-9][a-z0-9._-]*$/;
export const PLUGIN_NAME_EXPECTED =
  'expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit';

const metaSchema = z.object({
  name: z.string().regex(PLUGIN_NAME, PLUGIN_NAME_EXPECTED),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'expected a semantic version like 1.2.3'),
  apiVersion: z.number().int().positive(),
  description: z.string().min(1, 'expected a non-empty description'),
});

const base = {
  meta: metaSchema,
  configSchema: z.custom<ConfigSchema<unknown>>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function',
    { message: 'expected a zod schema' },
  ),
};

const familySchemas: Record<PluginFamily, z.ZodType> = {
  strategy: z.object({ ...base, family: z.literal('strategy'), adapt: fn }),
  attack: z.object({ ...base, family: z.literal('attack'), threatModels: fn, perturb: fn }),
  shift: z.discriminatedUnion('kind', [
    z.object({ ...base, family: z.literal('shift'), kind: z.literal('pixel'), variants: fn, apply: fn }),
    z.object({ ...base, family: z.literal('shift'), kind: z.literal('split'), splits: fn }),
  ]),
  dataset: z.object({ ...base, family: z.literal('dataset'), describe: fn, open: fn, availability: fn.optional() }),
  metric: z.discriminatedUnion('kind', [
    z.object({ ...base, family: z.literal('metric'), kind: z.literal('point'), compute: fn }),
    z.object({ ...base, family: z.literal('metric'), kind: z.literal('aggregate'), aggregate: fn }),
  ]),
};

/** Looks like a plugin (has a family and meta); used to find plugins among a module's exports. */
export function isPluginLike(value: unknown): value is { family: unknown; meta: unknown } {
  return typeof value === 'object' && value !== null && 'family' in value && 'meta' in value;
}

/**
 * Checks that `value` is a usable plugin of this paretune: the shape of its family, a supported
 * `apiVersion` and a config schema with a JSON Schema form and no transform.
 * @param origin - where the plugin came from, for messages (the module specifier, or `built-in`); quoted there.
 * @throws {@link PluginError} naming the plugin, its origin and what is wrong.
 */
export function validatePlugin(value: unknown, origin: string): Plugin {
  const meta = (value as { meta?: { name?: unknown; version?: unknown } } | null)?.meta;
  const label =
    typeof meta?.name === 'string'
      ? `plugin '${meta.name}'${typeof meta.version === 'string' ? `@${meta.version}` : ''}`
      : 'plugin';
  const where = `${label} from '${origin}'`;
  const family = (value as { family?: unknown } | null)?.family;
  if (!(PLUGIN_FAMILIES as readonly unknown[]).includes(family)) {
    throw new PluginError(
      `${where} is invalid: field 'family': expected one of ${PLUGIN_FAMILIES.join(', ')}, received ${JSON.stringify(family)}`,
    );
  }
  const parsed = familySchemas[family as PluginFamily].safeParse(value);
  if (!parsed.success) throw new PluginError(`${where} is invalid: ${describeIssues(parsed.error)}`);
  const plugin = value as Plugin;
  if (plugin.meta.apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginError(
      `${where} was written for plugin API version ${plugin.meta.apiVersion}, but this paretune provides API version ` +
        `${PLUGIN_API_VERSION}; install a release of the plugin built for API version ${PLUGIN_API_VERSION}`,
    );
  }
  try {
    configJsonSchema(plugin.configSchema);
  } catch (error) {
    throw new PluginError(`${where} has a config schema with no JSON Schema form: ${(error as Error).message}`);
  }
  const transform = findTransform(plugin.configSchema);
  if (transform !== undefined) {
    throw new PluginError(
      `${where} has a config schema that transforms ${transform === '' ? 'its input' : `field '${transform}'`}: ` +
        'paretune stores the parsed config and parses it again (resume, workers), so it must parse to itself; ' +
        'refuse bad values with refinements and convert in the plugin code (radii: radiusSchema or epsSchema)',
    );
  }
  return plugin;
}

/**
 * Declares a plugin. Checks it at once (so a plugin's own tests catch mistakes) and returns it unchanged,
 * typed. The default export of a plugin module is a plugin or an array of them.
 *
 * @example
 * ```ts
 * import { definePlugin, z } from 'paretune/plugin';
 * export default definePlugin({
 *   family: 'metric', kind: 'point',
 *   meta: { name: 'error-rate', version: '1.0.0', apiVersion: 1, description: 'Top-1 error.' },
 *   configSchema: z.object({}),
 *   compute: ({ logits, labels, count, numClasses }) => ...,
 * });
 * ```
 */
export function definePlugin<C>(plugin: StrategyPlugin<C>): StrategyPlugin<C>;
export function definePlugin<C>(plugin: AttackPlugin<C>): AttackPlugin<C>;
export function definePlugin<C>(plugin: PixelShiftPlugin<C>): PixelShiftPlugin<C>;
export function definePlugin<C>(plugin: SplitShiftPlugin<C>): SplitShiftPlugin<C>;
export function definePlugin<C>(plugin: DatasetPlugin<C>): DatasetPlugin<C>;
export function definePlugin<C>(plugin: PointMetricPlugin<C>): PointMetricPlugin<C>;
export function definePlugin<C>(plugin: AggregateMetricPlugin<C>): AggregateMetricPlugin<C>;
export function definePlugin(plugin: Plugin): Plugin {
  validatePlugin(plugin, 'definePlugin()');
  return plugin;
}
