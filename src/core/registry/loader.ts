import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { moduleResolve } from 'import-meta-resolve';
import { isPluginLike, PluginError } from '../contracts/plugin.js';

/** A plugin found in a module, with a description of where it came from. */
export interface LoadedPlugin {
  readonly plugin: unknown;
  readonly origin: string;
}

/** The conditions `import()` resolves package `exports` with in Node (`default` always matches). */
const IMPORT_CONDITIONS = new Set(['node', 'import']);

const isPath = (specifier: string): boolean => isAbsolute(specifier) || /^\.\.?(\/|\\|$)/.test(specifier);

/** The first line of a resolution error, without Node's error-code prefix. */
const firstLine = (error: unknown): string => (error as Error).message.split('\n')[0] ?? '';

/**
 * The entry file of a package folder given by path, as `import` of the installed package would find it: the
 * `exports` map under the import conditions (resolved by Node's own algorithm, as a self-reference to the
 * package's name), else `main`, else index.js. Returns the files it tried when there is no entry.
 */
function resolveFolder(dir: string): { file: string } | { tried: string } {
  const manifestFile = join(dir, 'package.json');
  const manifest = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { name?: unknown; main?: unknown; exports?: unknown })
    : {};
  if (manifest.exports !== undefined) {
    if (typeof manifest.name !== 'string') {
      return { tried: `${manifestFile} has "exports" but no "name", so Node cannot resolve it` };
    }
    try {
      const entry = moduleResolve(manifest.name, pathToFileURL(manifestFile), IMPORT_CONDITIONS, false);
      return { file: fileURLToPath(entry) };
    } catch (error) {
      return { tried: `"exports" of ${manifestFile} under the conditions import, node, default: ${firstLine(error)}` };
    }
  }
  try {
    return { file: createRequire(manifestFile).resolve(dir) };
  } catch {
    const main = typeof manifest.main === 'string' ? [`"main" ${resolve(dir, manifest.main)}`] : [];
    return { tried: [...main, join(dir, 'index.js')].join(', ') };
  }
}

/**
 * Resolves a plugin module specifier as Node's `import` would from `baseDir`: a file path, a package folder (see
 * {@link resolveFolder}), or an npm package name installed where `baseDir` can see it (its `exports`, else `main`).
 */
function resolveSpecifier(specifier: string, baseDir: string, requestedBy: string): string {
  const fail = (detail: string): never => {
    throw new PluginError(
      `plugin module '${specifier}' (from ${requestedBy}) cannot be resolved from ${baseDir}: ${detail}; ` +
        `give a path to the plugin or install its npm package`,
    );
  };
  if (isPath(specifier)) {
    const path = resolve(baseDir, specifier);
    if (!existsSync(path)) return fail(`${path} does not exist`);
    if (!statSync(path).isDirectory()) return path;
    const folder = resolveFolder(path);
    return 'file' in folder ? folder.file : fail(`no entry file (tried ${folder.tried})`);
  }
  try {
    return fileURLToPath(moduleResolve(specifier, pathToFileURL(join(baseDir, 'noop.js')), IMPORT_CONDITIONS, false));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const packageMissing = code === 'ERR_MODULE_NOT_FOUND' && firstLine(error).startsWith('Cannot find package');
    return fail(packageMissing ? 'not found' : firstLine(error));
  }
}

/** The plugins a module exports: a default export (a plugin or an array), or a `plugins` array export. */
function pluginsOf(exports: Record<string, unknown>): unknown[] | undefined {
  const candidates = [
    exports['default'],
    exports['plugins'],
    (exports['default'] as { plugins?: unknown } | undefined)?.plugins,
  ];
  for (const candidate of candidates) {
    if (isPluginLike(candidate)) return [candidate];
    if (Array.isArray(candidate) && candidate.length > 0 && candidate.every(isPluginLike)) return candidate;
  }
  return undefined;
}

/** The folder and version of the tfjs-core package `fromFile` would import, or undefined where it sees none. */
function tfjsCoreSeenFrom(fromFile: string): { dir: string; version: string } | undefined {
  try {
    const manifest = realpathSync(createRequire(fromFile).resolve('@tensorflow/tfjs-core/package.json'));
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    return { dir: dirname(manifest), version };
  } catch {
    return undefined;
  }
}

const OWN_TFJS_CORE = tfjsCoreSeenFrom(fileURLToPath(import.meta.url));

/**
 * A tfjs-core other than paretune's that a plugin file would load, directly or through its own copy of paretune.
 * Such a copy registers every kernel and gradient a second time and makes tensors paretune does not own.
 */
function foreignTfjsCore(file: string): { dir: string; version: string } | undefined {
  const bases = [file];
  try {
    bases.push(createRequire(file).resolve('paretune/package.json'));
  } catch {
    // The plugin does not import paretune itself (it may import only tfjs).
  }
  for (const base of bases) {
    const seen = tfjsCoreSeenFrom(base);
    if (seen !== undefined && seen.dir !== OWN_TFJS_CORE?.dir) return seen;
  }
  return undefined;
}

/** The second copies of tfjs already reported in this process (several plugins may share one). */
const reportedCopies = new Set<string>();

/** What tfjs-core prints for each kernel, gradient, backend or platform registered a second time. */
const DUPLICATE_REGISTRATION = new RegExp(
  ['is already registered', '^Overriding the gradient', 'has already been set', 'backend was already registered'].join(
    '|',
  ),
);

/** A module's exports and how many duplicate-registration warnings tfjs printed while it loaded. */
interface CountedImport {
  readonly exports: Record<string, unknown>;
  readonly duplicates: number;
}

/**
 * Imports `file`, counting and leaving out tfjs's duplicate-registration warnings: a second copy of tfjs prints
 * one per kernel (hundreds), which {@link warnSecondTfjs} replaces with one line.
 */
async function importCountingDuplicates(file: string): Promise<CountedImport> {
  const warn = console.warn;
  let duplicates = 0;
  console.warn = (...args: unknown[]): void => {
    if (DUPLICATE_REGISTRATION.test(String(args[0]))) duplicates++;
    else warn(...args);
  };
  try {
    return { exports: (await import(pathToFileURL(file).href)) as Record<string, unknown>, duplicates };
  } finally {
    console.warn = warn;
  }
}

/** One warning, once per copy, saying which second tfjs-core a plugin loaded and how to make it share paretune's. */
function warnSecondTfjs(specifier: string, file: string, duplicates: number): void {
  const foreign = foreignTfjsCore(file);
  if (reportedCopies.has(foreign?.dir ?? '')) return;
  reportedCopies.add(foreign?.dir ?? '');
  const own = `paretune's ${OWN_TFJS_CORE?.version ?? ''} (${OWN_TFJS_CORE?.dir ?? '?'})`;
  const copy =
    foreign === undefined
      ? 'a second copy of TensorFlow.js'
      : `its own copy of @tensorflow/tfjs-core ${foreign.version} (${foreign.dir})`;
  process.emitWarning(
    `plugin module '${specifier}' (${file}) loads ${copy} besides ${own}: ${duplicates} tfjs registrations ` +
      'repeated (not printed); declare paretune and @tensorflow/tfjs-core as peerDependencies of the plugin ' +
      '(not dependencies) and reinstall it',
    { type: 'PluginWarning', code: 'PARETUNE_PLUGIN_OWN_TFJS' },
  );
}

/** Imports plugin modules and returns the plugins they export, in order. */
export async function loadPluginModules(
  specifiers: readonly string[],
  baseDir: string,
  requestedBy: string,
): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const specifier of specifiers) {
    const file = resolveSpecifier(specifier, baseDir, requestedBy);
    let imported: CountedImport;
    try {
      imported = await importCountingDuplicates(file);
    } catch (error) {
      throw new PluginError(`plugin module '${specifier}' (${file}) failed to load: ${firstLine(error)}`);
    }
    if (imported.duplicates > 0) warnSecondTfjs(specifier, file, imported.duplicates);
    const { exports } = imported;
    const plugins = pluginsOf(exports);
    if (plugins === undefined) {
      const names = Object.keys(exports);
      throw new PluginError(
        `module '${specifier}' (${file}) does not export a paretune plugin: expected a default export made with ` +
          `definePlugin() (or an array of them), or a 'plugins' array export; it exports ${names.length === 0 ? 'nothing' : names.join(', ')}`,
      );
    }
    for (const plugin of plugins) loaded.push({ plugin, origin: specifier });
  }
  return loaded;
}
