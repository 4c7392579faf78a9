import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { createContainer } from '../../src/core/container.js';
import { parseFraction } from '../../src/core/contracts/config.js';
import type { PluginFamily } from '../../src/core/contracts/meta.js';
import { PRESETS } from '../../src/core/model/architecture.js';
import { PluginRegistry } from '../../src/core/registry/registry.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import { cli, REPO_ROOT, tempDir } from '../helpers/fixtures.js';

/**
 * Every `paretune` command line in the shell code blocks of README.md and docs/*.md must be one the CLI accepts:
 * a known command, known options with their values, the right arguments, and existing datasets, strategies, attacks,
 * shifts and model presets. Commands that are quick and need no files (info, params, datasets, runs, --help) also run
 * for real and must exit 0 (or, for an example of refused input, exit 1 printing the error its comment shows); the rest (training, serving, queues, files the reader makes) are checked by validation
 * only, since running them would take minutes or need data this test does not have.
 */

interface Example {
  readonly file: string;
  readonly line: number;
  readonly argv: readonly string[];
  /** The error the line's comment says it prints (`cmd  # paretune: ...`), for examples of refused input. */
  readonly error?: string;
}

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** Shell words of one line: quotes and backslashes as the shell reads them; `|`, `&&`, `||`, `;`, `>` as operators. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const push = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; line[i] !== '"'; i++) text += line[i] === '\\' ? (line[++i] as string) : line[i];
      word = (word ?? '') + text;
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if (c === '$' && line[i + 1] === '(') {
      const end = line.indexOf(')', i);
      word = (word ?? '') + line.slice(i, end + 1);
      i = end;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (/\s/.test(c)) {
      push();
    } else if ('|&;>'.includes(c) && !(c === '>' && word?.startsWith('<'))) {
      push();
      const op = line.slice(i, i + 2) === '&&' || line.slice(i, i + 2) === '||' ? line.slice(i, i + 2) : c;
      words.push(op);
      i += op.length - 1;
    } else {
      word = (word ?? '') + c;
    }
  }
  push();
  return words;
}

/** The `paretune` invocations of a shell line (after `npx` and `VAR=value` prefixes), without redirections. */
function paretuneCommands(line: string): string[][] {
  const commands: string[][] = [];
  let current: string[] = [];
  const words = [...shellWords(line), ';'];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (['|', '&&', '||', ';'].includes(w)) {
      const start = current.findIndex((x) => !/^[A-Z_]+=/.test(x) && x !== 'npx');
      if (current[start] === 'paretune') commands.push(current.slice(start + 1));
      current = [];
    } else if (w === '>') {
      i++; // the redirection's target
    } else {
      current.push(w);
    }
  }
  return commands;
}

/** Every paretune command line of README.md and docs/*.md, with where it is. */
function docExamples(): Example[] {
  const files = [
    'README.md',
    ...readdirSync(join(REPO_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const examples: Example[] = [];
  for (const file of files) {
    let language: string | undefined;
    let pending = '';
    readFileSync(join(REPO_ROOT, file), 'utf8')
      .split('\n')
      .forEach((text, index) => {
        if (text.startsWith('```')) {
          language = language === undefined ? text.slice(3).trim() : undefined;
          return;
        }
        if (language === undefined || !SHELL_LANGUAGES.has(language)) return;
        if (text.endsWith('\\')) {
          pending += `${text.slice(0, -1)} `;
          return;
        }
        const error = /\s#\s*(paretune: .*)$/.exec(text)?.[1];
        for (const argv of paretuneCommands(pending + text))
          examples.push({ file, line: index + 1, argv, ...(error === undefined ? {} : { error }) });
        pending = '';
      });
  }
  return examples;
}

const isPlaceholder = (value: string): boolean => /^<[^>]+>$/.test(value) || value.includes('...');

/** The problems of one value of an option whose values name plugins, presets, radii or JSON. */
function valueProblems(registry: PluginRegistry, option: string, value: string): string[] {
  if (isPlaceholder(value)) return [];
  const names = (family: PluginFamily, extra: readonly string[] = []): string[] =>
    value
      .split(/[+,]/)
      .filter((name) => !extra.includes(name) && !registry.list(family).some((p) => p.plugin.meta.name === name))
      .map((name) => `${option}: no ${family} '${name}'`);
  switch (option) {
    case '--dataset':
      return names('dataset');
    case '--strategy':
      return names('strategy');
    case '--attack':
      return names('attack', ['none']);
    case '--shift':
      return names('shift');
    case '--model': {
      const known =
        PRESETS.some((p) => p.name === value) ||
        value.startsWith('hf:') ||
        /^\.{0,2}\//.test(value) ||
        value.endsWith('.safetensors');
      return known ? [] : [`--model: '${value}' is no preset, hf: source or path`];
    }
    case '--eps':
      return value.split(',').every((r) => Number.isFinite(parseFraction(r)))
        ? []
        : [`--eps: '${value}' is not a list of radii`];
    default:
      if (!option.endsWith('config')) return [];
      try {
        JSON.parse(value);
        return [];
      } catch {
        return [`${option}: '${value}' is not JSON`];
      }
  }
}

/** What the CLI would refuse in `argv`, by its own command tree: commands, options, their values and arguments. */
function problems(program: Command, registry: PluginRegistry, argv: readonly string[]): string[] {
  const found: string[] = [];
  let command: Command | undefined;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--help' || word === '-h' || word === '--version' || word === '-V') continue;
    if (word.startsWith('-')) {
      const [flag, inline] = word.split(/=(.*)/s) as [string, string | undefined];
      const option = [...(command?.options ?? []), ...program.options].find((o) => o.long === flag || o.short === flag);
      if (option === undefined) {
        found.push(`unknown option ${flag}${command === undefined ? '' : ` of ${command.name()}`}`);
        if (inline === undefined && argv[i + 1]?.startsWith('-') === false) i++; // its value, most likely
        continue;
      }
      if (!option.required && !option.optional) continue;
      const value = inline ?? argv[++i];
      if (value === undefined) found.push(`${flag} needs a value`);
      else found.push(...valueProblems(registry, flag, value));
    } else if (command === undefined) {
      command = program.commands.find((c) => c.name() === word);
      if (command === undefined) found.push(`unknown command '${word}'`);
    } else if (positional.length === 0 && command.commands.some((c) => c.name() === word)) {
      command = command.commands.find((c) => c.name() === word); // a subcommand, e.g. plugin new
    } else {
      positional.push(word);
    }
  }
  if (command !== undefined) {
    const args = command.registeredArguments;
    if (positional.length > args.length)
      found.push(`${command.name()} takes ${args.length} argument(s), got ${positional.join(' ')}`);
    const missing = args.filter((a, i) => a.required && positional[i] === undefined).map((a) => a.name());
    if (missing.length > 0) found.push(`${command.name()} needs ${missing.join(', ')}`);
    for (const option of command.options.filter((o) => o.mandatory)) {
      if (!argv.some((w) => w === option.long || w.startsWith(`${option.long}=`)))
        found.push(`${command.name()} needs ${option.long}`);
    }
  }
  return found;
}

/** Quick, self-contained commands that run for real: no training, no server, no files the reader would make. */
const runsForReal = (argv: readonly string[]): boolean =>
  !argv.includes('--plugin') &&
  !argv.some(isPlaceholder) &&
  (argv[0] === '--help' || ['info', 'params', 'datasets', 'runs'].includes(argv[0] as string));

describe('shell examples in README.md and docs/', () => {
  const examples = docExamples();
  let registry: PluginRegistry;
  beforeAll(async () => {
    registry = (await createContainer({ builtins: builtinPlugins, cwd: tempDir() })).resolve(PluginRegistry);
  });

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.map((e) => e.file)).toEqual(
      expect.arrayContaining(['README.md', 'docs/runs.md', 'docs/models.md']),
    );
  });

  it('catches an example the CLI would refuse', () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, cwd: tempDir(), env: {} });
    expect(
      problems(program, registry, [
        'run',
        '--model',
        'vit-bench-32',
        '--dataset',
        'toy',
        '--strategy',
        'lora+bitfat',
        '--stpes',
        '2',
      ]),
    ).toEqual(["--dataset: no dataset 'toy'", "--strategy: no strategy 'bitfat'", 'unknown option --stpes of run']);
    expect(problems(program, registry, ['frontiers'])).toEqual(["unknown command 'frontiers'"]);
    expect(problems(program, registry, ['params', '--model', 'vit-bench-32', '--config', '{rank:4}'])).toEqual([
      "--config: '{rank:4}' is not JSON",
      'params needs --strategy',
    ]);
  });

  it('every paretune command line is one the CLI accepts', () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, cwd: tempDir(), env: {} });
    const refused = examples
      .map((e) => ({
        at: `${e.file}:${e.line}: paretune ${e.argv.join(' ')}`,
        problems: problems(program, registry, e.argv),
      }))
      .filter((e) => e.problems.length > 0);
    expect(refused).toEqual([]);
  });

  it('the quick ones run and exit 0, or print the error their comment shows', async () => {
    const quick = examples.filter((e) => runsForReal(e.argv));
    expect(quick.length).toBeGreaterThan(5);
    const failed: string[] = [];
    for (const e of quick) {
      const dir = tempDir();
      const result = await cli([...e.argv], dir, {
        PARETUNE_DB: join(dir, 'paretune.db'),
        PARETUNE_CACHE_DIR: join(dir, 'cache'),
      });
      const expected =
        e.error === undefined ? result.code === 0 : result.code === 1 && result.stderr === `${e.error}\n`;
      if (!expected)
        failed.push(`${e.file}:${e.line}: paretune ${e.argv.join(' ')}: exit ${result.code}: ${result.stderr}`);
    }
    expect(failed).toEqual([]);
  });
});
