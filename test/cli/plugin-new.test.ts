import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/index.js';

describe('paretune plugin new', () => {
  it('scaffolds the TypeScript template with a minimal plugin of the family, named throughout', async () => {
    const dir = tempDir();
    const made = await cli(['plugin', 'new', 'strategy', 'scales', '--dir', 'scales'], dir);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`created strategy plugin 'scales' in ${join(dir, 'scales')}`);
    const source = readFileSync(join(dir, 'scales', 'src', 'index.ts'), 'utf8');
    expect(source).toContain("family: 'strategy'");
    expect(source).toContain("name: 'scales'");
    expect(source).not.toContain('my-plugin');
    const pkg = JSON.parse(readFileSync(join(dir, 'scales', 'package.json'), 'utf8')) as {
      name: string;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe('paretune-plugin-scales');
    expect(pkg.devDependencies['paretune']).toBe('0.1.0');
    expect(readFileSync(join(dir, 'scales', 'test', 'plugin.test.ts'), 'utf8')).toContain("from 'paretune/testing'");
    expect(existsSync(join(dir, 'scales', 'families'))).toBe(false);
    expect(existsSync(join(dir, 'scales', '.gitignore'))).toBe(true);
  });

  it('refuses an existing non-empty folder, an unknown family and a bad name in one line, touching nothing', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine');
    expect(await cli(['plugin', 'new', 'metric', 'm', '--dir', 'taken'], dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: `paretune: ${join(dir, 'taken')} already exists and is not an empty folder; give --dir a new or empty folder\n`,
    });
    expect(readFileSync(join(dir, 'taken', 'notes.txt'), 'utf8')).toBe('mine');
    expect((await cli(['plugin', 'new', 'shift', 'blur'], dir)).stderr).toBe(
      "paretune: plugin family 'shift' has no template; expected one of: attack, strategy, dataset, metric\n",
    );
    expect((await cli(['plugin', 'new', 'metric', 'Bad Name'], dir)).stderr).toBe(
      `paretune: plugin name 'Bad Name': expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit\n`,
    );
    mkdirSync(join(dir, 'empty'));
    expect((await cli(['plugin', 'new', 'metric', 'm', '--dir', 'empty'], dir)).code).toBe(0);
  });
});
