import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { parse as yamlParse, YAMLParseError } from 'yaml';
import { ConfigError } from './contracts/config.js';
import { fileError, isDirectoryError } from './contracts/errors.js';

/**
 * The text of a file the user named, or a user error naming it and what it should have been.
 * @param subject - the file as the user knows it, e.g. `--spec run.json`.
 * @param expected - what it should be, e.g. `a JSON run spec`.
 */
export function readUserFile(file: string, subject: string, expected: string): string {
  try {
    // reading a directory fails with a message that does not say which path
    if (statSync(file).isDirectory()) throw isDirectoryError(subject, expected);
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError(error, subject, expected);
  }
}

/** Line and column (from 1) of a character offset in `text`. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

const parsesUpTo = (text: string, end: number): boolean => {
  try {
    JSON.parse(text.slice(0, end));
    return true;
  } catch (error) {
    // the prefix ran out (mid-string, mid-number, mid-object) rather than meeting a bad character
    const { message } = error as Error;
    const position = /at position (\d+)/.exec(message);
    return /Unexpected end of JSON input/.test(message) || (position !== null && Number(position[1]) >= end - 1);
  }
};

/** Where JSON.parse failed: its message says for most errors; else the shortest prefix that fails otherwise than by ending. */
function errorOffset(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message);
  if (position !== null) return Number(position[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  let [good, bad] = [0, text.length];
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (parsesUpTo(text, middle)) good = middle;
    else bad = middle;
  }
  return bad - 1;
}

/** Parses JSON the user wrote; a syntax error is a {@link ConfigError} naming `subject`, the line and the column. */
export function parseJson(text: string, subject: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const where = lineAndColumn(text, errorOffset(text, message));
    // V8 may quote the whole text or add its own position
    const what = message
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/ \(line \d+ column \d+\)$/, '');
    throw new ConfigError(`${subject}: invalid JSON at ${where}: ${what}`);
  }
}

/** Parses YAML the user wrote; a syntax error is a {@link ConfigError} naming `subject`, the line and the column. */
export function parseYaml(text: string, subject: string): unknown {
  try {
    return yamlParse(text) as unknown;
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const at = error.linePos?.[0];
    const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
    throw new ConfigError(
      `${subject}: invalid YAML${at === undefined ? '' : ` at line ${at.line}, column ${at.col}`}: ${what}`,
    );
  }
}

/** A JSON or YAML document that must be an object (a spec, an experiment, a config file). */
export function parseObject(text: string, subject: string, yaml = false): Record<string, unknown> {
  const value = yaml ? parseYaml(text, subject) : parseJson(text, subject);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `${subject}: expected an object (${yaml ? 'key: value lines' : '{ ... }'}), got ${Array.isArray(value) ? 'an array' : (JSON.stringify(value) ?? 'nothing')}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Creates a folder paretune writes in, with its parents, or throws a user error naming it.
 * @param what - the folder as the user knows it, e.g. `dataset folder` or `plot folder (--plots)`.
 */
export function makeDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw fileError(error, `${what} ${dir}`, 'a folder paretune can create and write in');
  }
}
