import type { Command } from 'commander';
import { ConfigError, parseFraction } from '../core/contracts/config.js';
import { parseJson, parseObject, readUserFile } from '../core/user-files.js';

/** Parses a number that may be written as a fraction (`1/255`), as radii in spec files are. */
export function parseNumber(text: string, flag: string): number {
  const value = parseFraction(text);
  if (!Number.isFinite(value))
    throw new ConfigError(`${flag}: '${text}' is not a number (fractions like 1/255 are allowed)`);
  return value;
}

/** A comma-separated list of numbers (`1/255,4/255`). */
export const parseNumberList = (text: string, flag: string): number[] =>
  text.split(',').map((t) => parseNumber(t, flag));

/** A positive integer flag. */
export function parsePositiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`${flag}: expected a positive integer, got '${text}'`);
  return value;
}

/** A JSON object flag (plugin configs by plugin name). */
export function parseJsonObject(text: string | undefined, flag: string): Record<string, Record<string, unknown>> {
  if (text === undefined) return {};
  const value = parseJson(text, flag);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${flag}: expected a JSON object, got ${text}`);
  return value as Record<string, Record<string, unknown>>;
}

/** A JSON spec file. */
export function readJsonFile(file: string, flag: string, expected: string): Record<string, unknown> {
  const subject = `${flag} ${file}`;
  return parseObject(readUserFile(file, subject, expected), subject);
}

/** `lora`, `bitfit+lora`, repeated flags: plugin names in order. */
export const nameList = (values: readonly string[]): string[] =>
  values
    .flatMap((v) => v.split('+'))
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Plugin references `{ name, config }` from names and a configs-by-name object (every config must name a listed plugin). */
export function pluginRefs(
  names: readonly string[],
  configs: Record<string, Record<string, unknown>>,
  flag: string,
): { name: string; config?: Record<string, unknown> }[] {
  const unused = Object.keys(configs).filter((k) => !names.includes(k));
  if (unused.length > 0)
    throw new ConfigError(
      `${flag} names ${unused.join(', ')}, not among ${names.join(', ') || 'the selected plugins'}`,
    );
  return names.map((name) => (configs[name] === undefined ? { name } : { name, config: configs[name] }));
}

/** Repeatable flag accumulator for commander. */
export const collect = (value: string, all: string[]): string[] => [...all, value];

/** The attack and shift flags `run` and `evaluate` share. */
export interface MeasurementFlags {
  attack: string[];
  eps?: string;
  attackSteps?: string;
  attackConfig?: string;
  shift: string[];
  shiftConfig?: string;
}

/** Adds the attack and shift flags to a command. */
export function addMeasurementOptions(command: Command): Command {
  return command
    .option('--attack <name>', 'attack (default pgd; "none" for no attack); repeatable', collect, [])
    .option('--eps <list>', 'PGD radii, e.g. 1/255 or 1/255,4/255')
    .option('--attack-steps <n>', 'PGD steps (default 15)')
    .option('--attack-config <json>', 'attack configs by name')
    .option('--shift <name>', 'distribution shift (corruptions, domains, ...); repeatable', collect, [])
    .option('--shift-config <json>', 'shift configs by name, e.g. \'{"corruptions":{"severities":[3]}}\'');
}

/** Attack plugin references from the flags (`--eps` and `--attack-steps` configure pgd), or undefined when none was given. */
export function attackRefs(flags: MeasurementFlags): ReturnType<typeof pluginRefs> | undefined {
  if (
    flags.attack.length === 0 &&
    flags.eps === undefined &&
    flags.attackSteps === undefined &&
    flags.attackConfig === undefined
  )
    return undefined;
  const names = flags.attack.length > 0 ? nameList(flags.attack) : ['pgd'];
  if (names.includes('none')) return [];
  const configs = parseJsonObject(flags.attackConfig, '--attack-config');
  if (flags.eps !== undefined || flags.attackSteps !== undefined) {
    if (!names.includes('pgd'))
      throw new ConfigError(
        `--eps and --attack-steps configure pgd, which is not among the attacks (${names.join(', ')})`,
      );
    configs['pgd'] = {
      ...configs['pgd'],
      ...(flags.eps === undefined ? {} : { eps: parseNumberList(flags.eps, '--eps') }),
      ...(flags.attackSteps === undefined ? {} : { steps: parsePositiveInt(flags.attackSteps, '--attack-steps') }),
    };
  }
  return pluginRefs(names, configs, '--attack-config');
}

/** Shift plugin references from the flags. */
export const shiftRefs = (flags: MeasurementFlags): ReturnType<typeof pluginRefs> =>
  pluginRefs(nameList(flags.shift), parseJsonObject(flags.shiftConfig, '--shift-config'), '--shift-config');
