import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, metricPluginSource, REPO_ROOT, tempDir, writePluginPackage } from '../helpers/fixtures.js';

interface InfoJson {
  backend: { name: string };
  plugins: Record<string, { name: string; version: string; origin: string }[]>;
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

  it('says when a module exports no plugin, and what it does export', async () => {
    const project = tempDir();
    const dir = writePluginPackage(project, 'not-a-plugin', 'export const helper = 1;\nexport function other() {}\n');
    const result = await cli(['--plugin', dir, 'info'], project);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^paretune: module '.*not-a-plugin' \(.*index\.js\) does not export a paretune plugin: .* it exports helper, other\n$/);
  });

  it('says when a plugin module cannot be found', async () => {
    const project = tempDir();
    const result = await cli(['--plugin', 'paretune-plugin-missing', 'info'], project);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`plugin module 'paretune-plugin-missing' (from --plugin) cannot be resolved from ${project}: not found`);
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
    expect((await cli(['info'], project)).stderr).toBe(`paretune: ${file} is invalid: field 'plugins[1]': expected string, received number\n`);
    writeFileSync(file, JSON.stringify({ plugin: ['x'] }));
    expect((await cli(['info'], project)).stderr).toContain(`${file} is invalid: Unrecognized key: "plugin"`);
    writeFileSync(file, '{ "plugins": [ }');
    expect((await cli(['info'], project)).stderr).toContain(`${file}: invalid JSON at line 1, column 16: Unexpected token '}'`);
  });

  it('the installed command reports wasm here and lists a configured plugin', () => {
    const project = tempDir();
    writePluginPackage(project, 'er', metricPluginSource('error-rate'));
    writeFileSync(join(project, 'paretune.config.json'), JSON.stringify({ plugins: ['./er'] }));
    const env = { ...process.env };
    delete env['PARETUNE_BACKEND'];
    const out = execFileSync(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), 'info', '--json'], { cwd: project, env });
    const parsed = JSON.parse(out.toString()) as InfoJson;
    expect(parsed.backend.name).toBe('wasm');
    expect(parsed.plugins['metric']?.map((p) => p.name)).toEqual(['accuracy', 'error-rate']);
  });
});
