import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION } from '../../src/core/contracts/index.js';
import { REPO_ROOT } from '../helpers/index.js';

/** Every file under `dir` ending in one of `extensions`. */
function files(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(path).isDirectory()
      ? files(path, extensions)
      : extensions.some((e) => name.endsWith(e))
        ? [path]
        : [];
  });
}

/** Module specifiers a source file imports or re-exports (static and dynamic). */
const specifiers = (source: string): string[] =>
  [...source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1] as string);

const isBare = (spec: string): boolean => !spec.startsWith('.') && !spec.startsWith('/');

/** `file imports 'spec'` for each relative import of a file under `from` that resolves into one of `forbidden`. */
function importsInto(from: string, forbidden: readonly string[]): string[] {
  const dirs = forbidden.map((dir) => join(REPO_ROOT, dir));
  const offences: string[] = [];
  for (const file of files(join(REPO_ROOT, from), ['.ts'])) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (isBare(spec)) continue;
      const target = resolve(dirname(file), spec);
      if (dirs.some((dir) => target.startsWith(`${dir}/`)))
        offences.push(`${relative(REPO_ROOT, file)} imports '${spec}'`);
    }
  }
  return offences;
}

describe('the layers', () => {
  it('core imports nothing from cli, schema or plugins (arrows point inward)', () => {
    expect(importsInto('src/core', ['src/cli', 'src/schema', 'src/plugins'])).toEqual([]);
  });

  it('the store imports nothing from the runs and execution layers above it', () => {
    expect(importsInto('src/core/store', ['src/core/runs', 'src/core/execution'])).toEqual([]);
  });
});

describe('the plugin contract', () => {
  it('built-in plugins import from paretune only its public plugin entry point and the tensor runtime', () => {
    const root = join(REPO_ROOT, 'src/plugins');
    const allowed = [join(REPO_ROOT, 'src/core/contracts/index.ts'), join(REPO_ROOT, 'src/core/tensor/index.ts')];
    const offences: string[] = [];
    for (const file of files(root, ['.ts'])) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (isBare(spec)) continue; // npm packages and node: builtins
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        if (!target.startsWith(`${root}/`) && !allowed.includes(target))
          offences.push(`${relative(REPO_ROOT, file)} imports '${spec}'`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('example plugin packages import paretune only through paretune/plugin and paretune/tensor (tests: paretune/testing)', () => {
    const offences: string[] = [];
    const examples = join(REPO_ROOT, 'plugins-examples');
    for (const file of files(examples, ['.js', '.ts'])) {
      // A package may import its own files, never anything outside its folder.
      const own = join(examples, relative(examples, file).split('/')[0] as string);
      const outside = (spec: string): boolean => !resolve(dirname(file), spec).startsWith(`${own}/`);
      const entries = [
        'paretune/plugin',
        'paretune/tensor',
        ...(file.endsWith('.test.ts') ? ['paretune/testing'] : []),
      ];
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const internal = spec === 'paretune' || (spec.startsWith('paretune/') && !entries.includes(spec));
        if (internal || (!isBare(spec) && outside(spec)))
          offences.push(`${relative(REPO_ROOT, file)} imports '${spec}'`);
      }
    }
    expect(offences).toEqual([]);
  });

  /*
   * The declarations a plugin compiles against (paretune/plugin and paretune/tensor), emitted fresh from the sources
   * without comments (documentation may change freely).
   * If this fails, the public plugin API changed: either undo the change, or bump PLUGIN_API_VERSION (plugins built
   * for the old version are then refused with a clear message) and commit the new snapshot this test writes. A purely
   * additive change (a new export, a new optional member) keeps the version: review the diff and update the snapshot
   * (`vitest run test/contracts/stability.test.ts -u`).
   */
  it(`public type declarations match the snapshot of plugin API version ${PLUGIN_API_VERSION}`, async () => {
    const config = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile).config as {
      compilerOptions: object;
    };
    const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, REPO_ROOT);
    const entries = ['src/core/contracts/index.ts', 'src/core/tensor/index.ts'].map((f) => join(REPO_ROOT, f));
    const program = ts.createProgram(entries, {
      ...options,
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      removeComments: true,
      sourceMap: false,
      declarationMap: false,
      outDir: '/virtual',
    });
    const emitted = new Map<string, string>();
    const result = program.emit(undefined, (name, text) => {
      const path = relative('/virtual', name);
      if (/^src\/core\/(contracts|tensor)\//.test(path)) emitted.set(path, text);
    });
    expect(result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    const text = [...emitted.keys()]
      .sort()
      .map((path) => `// ${path}\n${emitted.get(path) as string}`)
      .join('\n');
    await expect(text).toMatchFileSnapshot(`./__snapshots__/plugin-api-v${PLUGIN_API_VERSION}.d.ts.snap`);
  });
});
