import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliProcess, metricPluginSource, REPO_ROOT, tempDir, writePluginPackage } from '../helpers/fixtures.js';

interface InfoJson {
  backend: { name: string };
  plugins: Record<string, { name: string; version: string; origin: string }[]>;
}

/** A plugin package whose package.json has `exports` (no `main`) and whose code is dist/index.js. */
function writeExportsPackage(
  dir: string,
  name: string,
  exportsField: unknown,
  source = metricPluginSource(name),
): string {
  const pkgDir = writePluginPackage(dir, name, '');
  writeFileSync(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', exports: exportsField }),
  );
  mkdirSync(join(pkgDir, 'dist'));
  writeFileSync(join(pkgDir, 'dist/index.js'), source);
  return pkgDir;
}

async function info(cwd: string, argv: string[] = []): Promise<InfoJson> {
  const result = await cli([...argv, 'info', '--json'], cwd);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as InfoJson;
}

describe('loading third-party plugins', () => {
  it('loads a plugin package named in paretune.config.json (path relative to the file)', async () => {
    const project = tempDir();
    writePluginPackage(join(project, 'plugins'), 'error-rate-plugin', metricPluginSource('error-rate'));
    writeFileSync(join(project, 'paretune.config.json'), JSON.stringify({ plugins: ['./plugins/error-rate-plugin'] }));
    const { plugins } = await info(project);
    expect(plugins['metric']).toEqual([
      expect.objectContaining({ name: 'accuracy', origin: 'built-in' }),
      expect.objectContaining({ name: 'error-rate', version: '2.1.0', origin: './plugins/error-rate-plugin' }),
    ]);
  });

  it('loads an installed npm package by name from the config file, and a path with --plugin', async () => {
    const project = tempDir();
    mkdirSync(join(project, 'node_modules'));
    writePluginPackage(join(project, 'node_modules'), 'paretune-plugin-error-rate', metricPluginSource('error-rate'));
    writeFileSync(join(project, 'paretune.config.json'), JSON.stringify({ plugins: ['paretune-plugin-error-rate'] }));
    const extra = writePluginPackage(tempDir(), 'calib', metricPluginSource('calibration'));
    const { plugins } = await info(project, ['--plugin', join(extra, 'index.js')]);
    expect(plugins['metric']?.map((p) => p.name)).toEqual(['accuracy', 'error-rate', 'calibration']);
  });

  it('resolves a plugin folder whose package.json has only exports, as Node resolves the installed package', async () => {
    const project = tempDir();
    writeExportsPackage(project, 'sugar', './dist/index.js');
    writeExportsPackage(project, 'dot-default', { '.': { default: './dist/index.js' } });
    writeExportsPackage(project, 'conditions', { '.': { require: './dist/missing.cjs', import: './dist/index.js' } });
    writeFileSync(join(project, 'paretune.config.json'), JSON.stringify({ plugins: ['./sugar', './dot-default'] }));
    const { plugins } = await info(project, ['--plugin', './conditions']);
    expect(plugins['metric']?.map((p) => [p.name, p.origin])).toEqual([
      ['accuracy', 'built-in'],
      ['sugar', './sugar'],
      ['dot-default', './dot-default'],
      ['conditions', './conditions'],
    ]);
  });

  it('names the files it tried when a plugin folder has no entry file', async () => {
    const project = tempDir();
    const missing = writeExportsPackage(project, 'missing-target', { '.': { import: './dist/gone.js' } });
    const noMatch = writeExportsPackage(project, 'browser-only', { '.': { browser: './dist/index.js' } });
    const noMain = writePluginPackage(project, 'no-main', '');
    writeFileSync(join(noMain, 'package.json'), JSON.stringify({ name: 'no-main', main: './lib/main.js' }));
    rmSync(join(noMain, 'index.js'));
    for (const [dir, expected] of [
      [missing, `Cannot find module '${join(missing, 'dist/gone.js')}'`],
      [noMatch, `"exports" of ${join(noMatch, 'package.json')} under the conditions import, node, default`],
      [noMain, `no entry file (tried "main" ${join(noMain, 'lib/main.js')}, ${join(noMain, 'index.js')})`],
    ] as const) {
      const result = await cli(['--plugin', dir, 'info'], project);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `paretune: plugin module '${dir}' (from --plugin) cannot be resolved from ${project}: `,
      );
      expect(result.stderr).toContain(expected);
    }
  });

  it('shows where each plugin came from the same way for built-in plugins and paths', async () => {
    const project = tempDir();
    writePluginPackage(project, 'er', metricPluginSource('error-rate'));
    const { stdout } = await cli(['--plugin', './er', 'info'], project);
    expect(stdout).toMatch(/\n  metric   accuracy@0\.2\.0 +built-in +Top-k/);
    expect(stdout).toMatch(/\n  metric   error-rate@2\.1\.0 +\.\/er +Error rate/);
  });

  it('says once, in one line, that a plugin brings its own copy of tfjs-core, instead of each kernel registering twice', async () => {
    const project = tempDir();
    // The plugin imports its own tfjs-backend-cpu, which imports its own tfjs-core: copies (a link would resolve to
    // paretune's files, which Node loads once), whose other dependencies are linked to paretune's.
    const pkgDir = writePluginPackage(
      project,
      'own-tf',
      `import '@tensorflow/tfjs-backend-cpu';\n${metricPluginSource('own-tf')}`,
    );
    const linked = new Set<string>();
    for (const name of ['tfjs-core', 'tfjs-backend-cpu']) {
      const from = join(REPO_ROOT, 'node_modules/@tensorflow', name);
      const to = join(pkgDir, 'node_modules/@tensorflow', name);
      const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
        main: string;
        dependencies: Record<string, string>;
      };
      mkdirSync(join(to, 'dist'), { recursive: true });
      copyFileSync(join(from, 'package.json'), join(to, 'package.json'));
      copyFileSync(join(from, manifest.main), join(to, manifest.main));
      for (const dep of Object.keys(manifest.dependencies).filter((d) => !d.startsWith('@') && !linked.has(d))) {
        symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(pkgDir, 'node_modules', dep), 'dir');
        linked.add(dep);
      }
    }
    const result = await cliProcess(['--plugin', './own-tf', 'info', '--json'], project);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as InfoJson).plugins['metric']?.map((p) => p.name)).toEqual([
      'accuracy',
      'own-tf',
    ]);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('tfjs-core'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      `plugin module './own-tf' (${join(pkgDir, 'index.js')}) loads its own copy of @tensorflow/tfjs-core`,
    );
    expect(warnings[0]).toContain('declare paretune and @tensorflow/tfjs-core as peerDependencies of the plugin');
    expect(Number(/: (\d+) tfjs registrations repeated/.exec(warnings[0] ?? '')?.[1])).toBeGreaterThan(100);
    expect(result.stderr).not.toMatch(/already registered|Overriding the gradient|has already been set/);
  });

  it('says when a module exports no plugin, and what it does export', async () => {
    const project = tempDir();
    const dir = writePluginPackage(project, 'not-a-plugin', 'export const helper = 1;\nexport function other() {}\n');
    const result = await cli(['--plugin', dir, 'info'], project);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^paretune: module '.*not-a-plugin' \(.*index\.js\) does not export a paretune plugin: .* it exports helper, other\n$/,
    );
  });

  it('says when a plugin module cannot be found', async () => {
    const project = tempDir();
    const result = await cli(['--plugin', 'paretune-plugin-missing', 'info'], project);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `plugin module 'paretune-plugin-missing' (from --plugin) cannot be resolved from ${project}: not found`,
    );
  });

  it('refuses a plugin that clashes with a built-in name or targets another API version', async () => {
    const project = tempDir();
    const clash = writePluginPackage(project, 'clash', metricPluginSource('accuracy'));
    const clashResult = await cli(['--plugin', clash, 'info'], project);
    expect(clashResult.stderr).toContain("two metric plugins are named 'accuracy'");
    const future = writePluginPackage(project, 'future', metricPluginSource('future', 2));
    const futureResult = await cli(['--plugin', future, 'info'], project);
    expect(futureResult.code).toBe(1);
    expect(futureResult.stderr).toContain('written for plugin API version 2, but this paretune provides API version 1');
  });

  it('names the field and expected type of an invalid paretune.config.json', async () => {
    const project = tempDir();
    const file = join(project, 'paretune.config.json');
    writeFileSync(file, JSON.stringify({ plugins: ['ok', 7] }));
    expect((await cli(['info'], project)).stderr).toBe(
      `paretune: ${file} is invalid: field 'plugins[1]': expected string, received number\n`,
    );
    writeFileSync(file, JSON.stringify({ plugin: ['x'] }));
    expect((await cli(['info'], project)).stderr).toContain(`${file} is invalid: Unrecognized key: "plugin"`);
    writeFileSync(file, '{ "plugins": [ }');
    expect((await cli(['info'], project)).stderr).toContain(
      `${file}: invalid JSON at line 1, column 16: Unexpected token '}'`,
    );
  });

  it('the installed command reports wasm here and lists a configured plugin', () => {
    const project = tempDir();
    writePluginPackage(project, 'er', metricPluginSource('error-rate'));
    writeFileSync(join(project, 'paretune.config.json'), JSON.stringify({ plugins: ['./er'] }));
    const env = { ...process.env };
    delete env['PARETUNE_BACKEND'];
    const out = execFileSync(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), 'info', '--json'], {
      cwd: project,
      env,
    });
    const parsed = JSON.parse(out.toString()) as InfoJson;
    expect(parsed.backend.name).toBe('wasm');
    expect(parsed.plugins['metric']?.map((p) => p.name)).toEqual(['accuracy', 'error-rate']);
  });
});
