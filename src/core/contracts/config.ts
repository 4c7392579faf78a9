import { z } from 'zod';
import { UserError } from './errors.js';

/**
 * A plugin's configuration schema. Plugins describe their options with zod; the registry validates user
 * input against it (filling defaults) and converts it to JSON Schema for introspection, so it must be
 * expressible as JSON Schema (no refinements on functions or custom types). The parsed config is stored with the
 * run and parsed again (resume, workers), so it must parse to itself: no transforms (see {@link findTransform}).
 */
export type ConfigSchema<C> = z.ZodType<C>;

/**
 * Marks schemas whose transform's output is valid input that parses to itself (the shared radius schema). A global
 * symbol, not a set of instances, so the mark holds for a plugin that imports the contract from paretune's compiled
 * files while paretune runs from another build of them (tests run the sources).
 */
const ROUND_TRIPS = Symbol.for('paretune.config.roundTrips');

/** Marks a schema of the contract whose transform round-trips, so config schemas may use it. */
export function allowTransform<S extends z.core.$ZodType>(schema: S): S {
  Object.defineProperty(schema, ROUND_TRIPS, { value: true });
  return schema;
}

/**
 * Where `schema` transforms its input (`.transform()`, `z.preprocess()`, a codec) outside the contract's
 * round-tripping schemas, as a field path (`''` for the top level); undefined when it has no transform.
 */
export function findTransform(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[] = [],
  seen = new Set<unknown>(),
): string | undefined {
  if ((schema as { [ROUND_TRIPS]?: boolean })[ROUND_TRIPS] === true || seen.has(schema)) return undefined;
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const isCodec = def.type === 'pipe' && typeof def['transform'] === 'function';
  if (def.type === 'transform' || isCodec) return formatPath(path);
  const children: [z.core.$ZodType, readonly PropertyKey[]][] = [];
  const add = (value: unknown, at: readonly PropertyKey[]): void => {
    if (value instanceof z.core.$ZodType) children.push([value, at]);
    else if (Array.isArray(value)) for (const item of value) add(item, at);
  };
  if (def.type === 'object') {
    for (const [key, field] of Object.entries(def['shape'] as object)) add(field, [...path, key]);
  } else if (def.type === 'lazy') {
    add((def['getter'] as () => unknown)(), path);
  } else {
    // Array elements and record values are shown as `[0]`; wrappers (optional, default, union, pipe) add nothing.
    for (const [key, value] of Object.entries(def)) {
      add(value, key === 'element' || key === 'valueType' ? [...path, 0] : path);
    }
  }
  for (const [child, at] of children) {
    const found = findTransform(child, at, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A decimal number or a fraction of two, e.g. `0.5`, `1e-3` or `8/255` (spaces allowed around the parts). */
export const NUMBER_OR_FRACTION = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+)\s*)?$/;

/** The value of a {@link NUMBER_OR_FRACTION} text (`8/255` is 8 / 255); NaN when it is not one. */
export function parseFraction(text: string): number {
  const match = NUMBER_OR_FRACTION.exec(text);
  return match === null ? Number.NaN : Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2]));
}

/** Formats a zod issue path as `a.b[0].c`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The value at `path` in `input`, or undefined where the path leaves it. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path)
    node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

/**
 * One line per problem, each naming the field and what was expected. Given the `input`, a field that is missing
 * or null is said to be required (zod would only say the value is invalid).
 */
export function describeIssues(error: z.ZodError, input?: unknown): string {
  return error.issues
    .map((issue) => {
      let message = issue.message.replace(/^Invalid input: /, '');
      const value = issue.path.length === 0 ? input : valueAt(input, issue.path);
      if (
        input !== undefined &&
        issue.path.length > 0 &&
        (value === undefined || value === null) &&
        issue.code !== 'unrecognized_keys'
      ) {
        message = `required${value === null ? ', got null' : ''}${issue.code === 'invalid_type' ? ` (expected ${issue.expected})` : ''}`;
      }
      return issue.path.length === 0 ? message : `field '${formatPath(issue.path)}': ${message}`;
    })
    .join('; ');
}

/**
 * Thrown for invalid configuration anywhere in paretune: project config files, plugin configs, run specs.
 * The message names where the value came from and every offending field.
 */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
}

/**
 * Validates `value` against `schema`, returning the parsed value (with defaults filled in).
 * @param subject - what is being validated, for the message (e.g. `"strategy 'lora' config"`).
 * @throws {@link ConfigError} naming every invalid field and the expected type.
 */
export function parseConfig<C>(schema: ConfigSchema<C>, value: unknown, subject: string): C {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(`${subject} is invalid: ${describeIssues(result.error, value)}`);
  return result.data;
}

/** JSON Schema (draft 2020-12) of a config schema; throws where the schema has no JSON Schema form. */
export function configJsonSchema(schema: ConfigSchema<unknown>): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
}
