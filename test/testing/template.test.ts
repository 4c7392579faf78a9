import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir, tinyCheckpoint } from '../helpers/index.js';

const run = promisify(execFile);
const FAMILIES = ['attack', 'strategy', 'dataset', 'metric'] as const;

/**
 * The plugin author's path end to end, from the packed paretune (minutes: it packs, type-checks and tests four
 * packages), so it runs where PARETUNE_TEST_HEAVY=1, as in CI. The registry is out of reach offline, so "installing"
 * the tarball is what npm does with it: its contents under node_modules/paretune, beside the dependencies it
 * declares (linked from this checkout's node_modules, which `npm ci` installed from the lockfile).
 */
describe.runIf(process.env['PARETUNE_TEST_HEAVY'] === '1')('a TypeScript plugin made with paretune plugin new', () => {
  it('builds with tsc (skipLibCheck off) against the packed paretune, passes its conformance test, and runs in paretune', async () => {
    const project = tempDir('paretune-template-');
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], {
      cwd: REPO_ROOT,
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, 'paretune'), { recursive: true });
    await tar.x({ file: join(project, filename), cwd: join(modules, 'paretune'), strip: 1 });
    for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
      if (!entry.startsWith('.')) symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
    }
    const paretune = join(modules, 'paretune', 'dist', 'src', 'cli', 'main.js');
    for (const family of FAMILIES) {
      await run(
        process.execPath,
        [paretune, 'plugin', 'new', family, `acc-${family}`, '--dir', join(project, family)],
        { cwd: project },
      );
    }
    const refused = await run(
      process.execPath,
      [paretune, 'plugin', 'new', 'metric', 'again', '--dir', join(project, 'metric')],
      { cwd: project },
    ).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 1,
      stderr: `paretune: ${join(project, 'metric')} already exists and is not an empty folder; give --dir a new or empty folder\n`,
    });
    const pkg = JSON.parse(readFileSync(join(project, 'attack', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg['peerDependencies']).toEqual({ '@tensorflow/tfjs-core': '4.22.0', paretune: '>=0.1.0 <1' });

    for (const family of FAMILIES) {
      const config = JSON.parse(readFileSync(join(project, family, 'tsconfig.json'), 'utf8')) as {
        compilerOptions: { skipLibCheck: boolean };
      };
      expect(config.compilerOptions.skipLibCheck).toBe(false);
    }
    // Each package built as `npm run build` does; the compilers run side by side.
    const tsc = join(modules, 'typescript', 'bin', 'tsc');
    const started = Date.now();
    const build = (dir: string): Promise<string> =>
      run(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
    // Why paretune's public declarations use only tfjs-core: the full tfjs declarations fail under the same settings.
    const control = join(project, 'full-tfjs');
    mkdirSync(join(control, 'src'), { recursive: true });
    writeFileSync(join(control, 'tsconfig.json'), readFileSync(join(project, 'metric', 'tsconfig.json')));
    writeFileSync(join(control, 'package.json'), JSON.stringify({ name: 'control', type: 'module' }));
    writeFileSync(
      join(control, 'src', 'index.ts'),
      "import * as tf from '@tensorflow/tfjs';\nexport const layers = tf.layers;\n",
    );
    const [controlOutput, ...outputs] = await Promise.all([
      build(control),
      ...FAMILIES.map((f) => build(join(project, f))),
    ]);
    expect(outputs).toEqual(FAMILIES.map(() => ''));
    expect(controlOutput).toMatch(/tfjs-layers\/dist\/.*error TS/);
    console.log(`tsc of four plugin packages, skipLibCheck off: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const family of FAMILIES)
      expect(readdirSync(join(project, family, 'dist')).sort()).toEqual(['index.d.ts', 'index.js']);

    // Each package's own conformance test, run by vitest as `npm test` would, in one vitest process.
    const vitest = join(modules, 'vitest', 'vitest.mjs');
    const tested = await run(process.execPath, [vitest, 'run', '--root', project, '--dir', project], {
      cwd: project,
      env: { ...process.env, CI: 'true' },
    }).catch((e: { stdout: string; stderr: string }) => e);
    // Without the colour codes vitest puts in its summary.
    expect(tested.stdout.replace(/\u001b\[[0-9;]*m/g, ''), tested.stderr).toMatch(/Tests\s+4 passed \(4\)/);

    // Loaded by path through their package.json, used together in one run of the packed paretune.
    writeFileSync(join(project, 'paretune.config.json'), JSON.stringify({ plugins: FAMILIES.map((f) => `./${f}`) }));
    const spec = {
      model: await tinyCheckpoint(tempDir()),
      dataset: { name: 'acc-dataset', config: { train: 24, test: 12 } },
      strategies: [{ name: 'acc-strategy' }],
      attacks: [{ name: 'acc-attack', config: { eps: '4/255' } }],
      metrics: ['accuracy', 'acc-metric'],
      training: { steps: 2, batchSize: 8, warmupSteps: 0 },
      evaluation: { schedule: [0, 2], trainSample: 8 },
    };
    writeFileSync(join(project, 'spec.json'), JSON.stringify(spec));
    const env = {
      ...process.env,
      PARETUNE_DATA_DIR: tempDir(),
      PARETUNE_DB: join(tempDir(), 'runs.db'),
      PARETUNE_BACKEND: 'wasm',
    };
    const result = await run(
      process.execPath,
      [paretune, 'run', '--spec', join(project, 'spec.json'), '--quiet', '--json'],
      { cwd: project, env },
    );
    const { plugins, points } = JSON.parse(result.stdout) as {
      plugins: string[];
      points: { name: string; value: number; context: { attack?: string } }[];
    };
    expect(plugins).toEqual([
      'acc-dataset@0.1.0',
      'acc-strategy@0.1.0',
      'acc-attack@0.1.0',
      'accuracy@0.2.0',
      'acc-metric@0.1.0',
    ]);
    const errorRates = points.filter((p) => p.name === 'acc-metric');
    expect(errorRates.length).toBeGreaterThan(0);
    expect(errorRates.every((p) => p.value >= 0 && p.value <= 1)).toBe(true);
    expect(points.some((p) => p.context.attack === 'acc-attack')).toBe(true);
  }, 600_000);
});
