import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/fixtures.js';

describe('paretune command line', () => {
  it('prints help with the commands and global options', async () => {
    const { code, stdout } = await cli(['--help'], tempDir());
    expect(code).toBe(0);
    for (const text of ['info', 'demo', '--backend <name>', '--plugin <module>']) expect(stdout).toContain(text);
  });

  it('prints a readable info summary', async () => {
    const { code, stdout } = await cli(['info'], tempDir());
    expect(code).toBe(0);
    expect(stdout).toMatch(/^paretune \d+\.\d+\.\d+ \(plugin API 1\)\n/);
    expect(stdout).toContain('backend  wasm');
    expect(stdout).toMatch(/metric +accuracy@0\.2\.0 +built-in/);
  });

  it('fails with a usage error on an unknown command or a bad backend', async () => {
    const unknown = await cli(['trian'], tempDir());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'trian'");
    const backend = await cli(['info'], tempDir(), { PARETUNE_BACKEND: 'tpu' });
    expect(backend).toMatchObject({
      code: 1,
      stderr:
        "paretune: unknown backend 'tpu' (from PARETUNE_BACKEND); expected one of: node-gpu, webgpu, node, wasm, cpu\n",
    });
  });
});

describe('paretune datasets', () => {
  it('lists datasets with classes, splits and local presence; configured ones too', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const photos = tempDir();
    for (const name of ['cats', 'dogs']) {
      mkdirSync(join(photos, name));
      writeFileSync(join(photos, name, 'a.png'), Buffer.alloc(10));
    }
    const data = tempDir();
    const { code, stdout } = await cli(
      ['datasets', '--json', '--config', JSON.stringify({ imagefolder: { path: photos } })],
      tempDir(),
      { PARETUNE_DATA_DIR: data },
    );
    expect(code).toBe(0);
    const listing = JSON.parse(stdout) as {
      dataDir: string;
      datasets: { name: string; present?: boolean; numClasses?: number; detail: string }[];
    };
    expect(listing.dataDir).toBe(data);
    const byName = new Map(listing.datasets.map((d) => [d.name, d]));
    expect(byName.get('cifar10')).toMatchObject({ present: false, numClasses: 10 });
    expect(byName.get('imagefolder')).toMatchObject({
      present: true,
      numClasses: 2,
      detail: `${photos}: 2 images, 2 classes`,
    });
    const unconfigured = await cli(['datasets'], tempDir(), { PARETUNE_DATA_DIR: data });
    expect(unconfigured.stdout).toMatch(/imagefolder +not configured/);
  });
});
