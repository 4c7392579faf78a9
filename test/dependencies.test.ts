import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/fixtures.js';

interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

/** Every installed copy of a package, searching nested node_modules folders. */
function installedCopies(name: string, dir = join(REPO_ROOT, 'node_modules')): string[] {
  const found: string[] = [];
  if (existsSync(join(dir, name, 'package.json'))) found.push(join(dir, name));
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.bin') continue;
    const scoped = entry.name.startsWith('@')
      ? readdirSync(join(dir, entry.name)).map((n) => join(dir, entry.name, n))
      : [join(dir, entry.name)];
    for (const pkgDir of scoped) {
      if (existsSync(join(pkgDir, 'node_modules'))) found.push(...installedCopies(name, join(pkgDir, 'node_modules')));
    }
  }
  return found;
}

describe('dependencies', () => {
  it('pins every dependency to an exact version', () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
    const loose = Object.entries(all).filter(([, v]) => !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(v));
    expect(loose).toEqual([]);
  });

  it('keeps native TensorFlow optional and pins the TensorFlow.js packages together', () => {
    const hard = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) =>
      n.startsWith('@tensorflow/tfjs-node'),
    );
    expect(hard).toEqual([]);
    expect(pkg.optionalDependencies['@tensorflow/tfjs-node-gpu']).toBe('4.22.0');
    expect(pkg.dependencies['@tensorflow/tfjs']).toBe('4.22.0');
    expect(pkg.dependencies['@tensorflow/tfjs-backend-wasm']).toBe('4.22.0');
    expect(pkg.dependencies['@tensorflow/tfjs-core']).toBe('4.22.0'); // the public declarations' types
  });

  it('installs a single copy of tfjs-core', () => {
    const copies = installedCopies('@tensorflow/tfjs-core');
    expect(copies).toEqual([join(REPO_ROOT, 'node_modules', '@tensorflow/tfjs-core')]);
  });
});
