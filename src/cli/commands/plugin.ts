import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../core/contracts/errors.js';
import { PLUGIN_NAME, PLUGIN_NAME_EXPECTED } from '../../core/contracts/plugin.js';
import { PARETUNE_ROOT, PARETUNE_VERSION } from '../../core/version.js';
import type { CliIo } from '../context.js';

/** Families the TypeScript template has a minimal plugin for. */
const SCAFFOLD_FAMILIES = ['attack', 'strategy', 'dataset', 'metric'] as const;
type ScaffoldFamily = (typeof SCAFFOLD_FAMILIES)[number];

const TEMPLATE = join(PARETUNE_ROOT, 'plugins-examples', 'template-ts');
/** The name the template's files use, replaced by the new plugin's name. */
const PLACEHOLDER = 'my-plugin';

/**
 * Copies the TypeScript template into `dir` for a plugin of `family` named `name`: the template is a metric; other
 * families' source (and test, where it differs) come from its `families/<family>/`.
 * @throws {@link UserError} for an unknown family, a bad name, or a folder that exists and is not empty.
 */
export function scaffoldPlugin(family: string, name: string, dir: string): void {
  if (!(SCAFFOLD_FAMILIES as readonly string[]).includes(family)) {
    throw new UserError(`plugin family '${family}' has no template; expected one of: ${SCAFFOLD_FAMILIES.join(', ')}`);
  }
  if (!PLUGIN_NAME.test(name)) throw new UserError(`plugin name '${name}': ${PLUGIN_NAME_EXPECTED}`);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new UserError(`${dir} already exists and is not an empty folder; give --dir a new or empty folder`);
  }
  cpSync(TEMPLATE, dir, { recursive: true, filter: (path) => !relative(TEMPLATE, path).startsWith('families') });
  const own = join(TEMPLATE, 'families', family as ScaffoldFamily);
  if (existsSync(own)) {
    cpSync(join(own, 'index.ts'), join(dir, 'src', 'index.ts'));
    if (existsSync(join(own, 'plugin.test.ts')))
      cpSync(join(own, 'plugin.test.ts'), join(dir, 'test', 'plugin.test.ts'));
  }
  for (const file of ['package.json', 'README.md', 'src/index.ts', 'test/plugin.test.ts']) {
    const path = join(dir, file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(PLACEHOLDER, name));
  }
  // The template is tested against this checkout; a new package develops against the paretune that made it.
  const pkgFile = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { devDependencies: Record<string, string> };
  pkg.devDependencies['paretune'] = PARETUNE_VERSION;
  writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\ndist/\n');
}

export function registerPlugin(program: Command, io: CliIo): void {
  const plugin = program.command('plugin').description('tools for plugin authors');
  plugin
    .command('new')
    .description(
      'create a TypeScript plugin package: a minimal working plugin, its conformance test, build and publish scripts',
    )
    .argument('<family>', `the plugin's family: ${SCAFFOLD_FAMILIES.join(', ')}`)
    .argument('<name>', "the plugin's name (lowercase letters, digits, '.', '_', '-')")
    .option('--dir <folder>', 'the folder to create it in (default: ./paretune-plugin-<name>)')
    .action((family: string, name: string, options: { dir?: string }) => {
      const dir = resolve(io.cwd, options.dir ?? `paretune-plugin-${name}`);
      scaffoldPlugin(family, name, dir);
      io.stdout(
        `created ${family} plugin '${name}' in ${dir}\nnext: cd ${dir} && npm install && npm run build && npm test\n`,
      );
    });
}
