import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import { tempDir } from './temp.js';

export { tempDir };

/** The repository root (paretune's own package). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The ViT computed independently in PyTorch: its checkpoint and what it must give (expected.json; see its README). */
export const VIT_REFERENCE_DIR = join(REPO_ROOT, 'test/fixtures/vit-reference');
interface Stored {
  shape: number[];
  data: number[];
}
export const vitReference = JSON.parse(readFileSync(join(VIT_REFERENCE_DIR, 'expected.json'), 'utf8')) as {
  config: { num_attention_heads: number };
  weights: { sha256: string };
  pixels: Stored;
  labels: number[];
  logits: Stored;
  cls_features: Stored;
  loss: number;
  grad_pixels: Stored;
};

/** ||a - b|| / ||b||. */
export function relativeError(actual: ArrayLike<number>, reference: readonly number[]): number {
  let diff = 0;
  let norm = 0;
  reference.forEach((r, i) => {
    diff += ((actual[i] as number) - r) ** 2;
    norm += r ** 2;
  });
  return Math.sqrt(diff / norm);
}

/**
 * Writes a third-party plugin package `dir/<name>` whose index.js is `source`, with paretune installed
 * beside it (node_modules/paretune -> this checkout, as `npm link` would), and returns its directory.
 */
export function writePluginPackage(dir: string, name: string, source: string): string {
  const pkgDir = join(dir, name);
  mkdirSync(join(pkgDir, 'node_modules'), { recursive: true });
  writeFileSync(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js' }),
  );
  writeFileSync(join(pkgDir, 'index.js'), source);
  symlinkSync(REPO_ROOT, join(pkgDir, 'node_modules', 'paretune'), 'dir');
  return pkgDir;
}

/**
 * The toy dataset plugin package (test/fixtures/toy-dataset-plugin: colour-coded images, 3 classes, any size)
 * installed in a fresh folder with paretune beside it; returns the folder to pass to --plugin or `plugins`.
 */
export function toyDatasetPackage(): string {
  const source = readFileSync(join(REPO_ROOT, 'test/fixtures/toy-dataset-plugin/index.js'), 'utf8');
  return writePluginPackage(tempDir(), 'paretune-plugin-toy-dataset', source);
}

/**
 * A dataset plugin package `gated` whose loading holds its thread (as decoding a large dataset does) until the file
 * `open` appears in `config.dir`, then fails; it writes `loading` there first. Returns its folder.
 */
export function gatedDatasetPackage(): string {
  return writePluginPackage(tempDir(), 'paretune-plugin-gated', GATED_DATASET);
}

const GATED_DATASET = `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { definePlugin, z } from 'paretune/plugin';
export default definePlugin({
  family: 'dataset',
  meta: { name: 'gated', version: '1.0.0', apiVersion: 1, description: 'Holds its thread while it loads.' },
  configSchema: z.object({ dir: z.string() }),
  describe: () => ({ numClasses: 3, classNames: ['a', 'b', 'c'], domains: [], splits: ['train', 'test'] }),
  async open(_split, { dir }) {
    writeFileSync(join(dir, 'loading'), '');
    const until = Date.now() + 60_000;
    while (!existsSync(join(dir, 'open')) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    throw new Error('the gate was opened');
  },
});
`;

/** Source of a plugin module exporting one point metric named `name`, written against `paretune/plugin`. */
export function metricPluginSource(name: string, apiVersion = 1): string {
  return `import { definePlugin, z } from 'paretune/plugin';
export default definePlugin({
  family: 'metric',
  kind: 'point',
  meta: { name: '${name}', version: '2.1.0', apiVersion: ${apiVersion}, description: 'Error rate (1 - top-1 accuracy).' },
  configSchema: z.object({}),
  compute: ({ logits, labels, count, numClasses }) => {
    let wrong = 0;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
      if (row.indexOf(Math.max(...row)) !== labels[i]) wrong++;
    }
    return wrong / count;
  },
});
`;
}

/** Runs the CLI in this process with `cwd`, capturing its output; data (and the database) go to a fresh folder unless `env` says otherwise. */
export async function cli(
  argv: string[],
  cwd: string,
  overrides: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PARETUNE_DATA_DIR: tempDir(), ...overrides };
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    env,
  });
  return { code, stdout, stderr };
}

/** Runs the built CLI (dist) as a child process, as users run it; data go to a fresh folder unless `env` says otherwise. */
export async function cliProcess(
  argv: string[],
  cwd: string,
  overrides: NodeJS.ProcessEnv = {},
  user: { uid?: number; gid?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, PARETUNE_DATA_DIR: tempDir(), PARETUNE_BACKEND: 'wasm', ...overrides };
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...argv], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((settle) => child.on('exit', settle));
  return { code, stdout, stderr };
}
