import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliProcess, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

let plugin: string;
let checkpoint: string;

beforeAll(async () => {
  plugin = toyDatasetPackage();
  checkpoint = await tinyCheckpoint(tempDir());
});

interface Point {
  step: number;
  name: string;
  context: Record<string, unknown>;
  value: number;
}

describe('paretune run and evaluate', () => {
  it('runs a fine-tuning run from flags, saves the adaptation, and evaluates it without training', async () => {
    const dir = tempDir();
    const adapter = join(dir, 'lora.safetensors');
    const run = await cli(
      [
        '--plugin',
        plugin,
        'run',
        '--model',
        checkpoint,
        '--dataset',
        'toy',
        '--strategy',
        'lora',
        '--config',
        '{"lora":{"rank":2}}',
        '--steps',
        '4',
        '--batch-size',
        '16',
        '--warmup',
        '0',
        '--eval-schedule',
        '0,2',
        '--train-sample',
        '10',
        '--eps',
        '8/255',
        '--attack-steps',
        '2',
        '--save-adaptation',
        adapter,
        '--json',
        '--quiet',
      ],
      dir,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      lastStep: number;
      bestStep: number;
      points: Point[];
      frontier: { hypervolume: number };
      spec: { strategies: unknown[] };
    };
    expect(result.lastStep).toBe(4);
    expect(result.spec.strategies).toEqual([{ name: 'lora', config: { rank: 2 } }]);
    expect([...new Set(result.points.map((p) => p.step))]).toEqual([0, 2, 4]);
    expect(result.frontier.hypervolume).toBeGreaterThanOrEqual(0);
    expect(existsSync(adapter)).toBe(true);

    const evaluation = await cli(
      [
        '--plugin',
        plugin,
        'evaluate',
        '--weights',
        checkpoint,
        '--adapter',
        adapter,
        '--dataset',
        'toy',
        '--eps',
        '0,8/255',
        '--attack-steps',
        '2',
        '--json',
      ],
      dir,
    );
    expect(evaluation.stderr).toBe('');
    const measured = JSON.parse(evaluation.stdout) as { points: Point[]; plugins: string[] };
    const value = (ctx: object) =>
      measured.points.find((p) => JSON.stringify(p.context) === JSON.stringify(ctx))?.value;
    expect(measured.plugins).toContain('lora@0.1.0');
    expect(value({ split: 'test', attack: 'pgd', norm: 'Linf', eps: 0 })).toBe(value({ split: 'test' }));
    // the evaluated model is the run's best-validation checkpoint: its clean test accuracy is the run's final one
    const final = result.points.find(
      (p) => p.context['checkpoint'] === 'best' && p.context['split'] === 'test' && p.context['attack'] === undefined,
    );
    expect(value({ split: 'test' })).toBe(final?.value);

    const text = await cli(
      ['--plugin', plugin, 'evaluate', '--weights', checkpoint, '--dataset', 'toy', '--attack', 'none'],
      dir,
    );
    expect(text.stdout).toMatch(/accuracy +0\.\d{4} {2}test \(30 images\)/);
  });

  it('evaluates every image of an image folder by default, skipping one that does not decode; runs record it', async () => {
    const photos = tempDir();
    for (const [label, name] of ['a', 'b', 'c'].entries()) {
      mkdirSync(join(photos, name));
      for (let i = 0; i < 3; i++) {
        await sharp({ create: { width: 10, height: 10, channels: 3, background: { r: 50 * label, g: 40 * i, b: 90 } } })
          .png()
          .toFile(join(photos, name, `${i}.png`));
      }
    }
    const broken = join(photos, 'c', 'broken.jpg');
    writeFileSync(broken, 'not a jpeg');
    const folder = ['--dataset', 'imagefolder', '--dataset-config', JSON.stringify({ path: photos })];
    const evaluation = await cliProcess(
      ['evaluate', '--weights', checkpoint, ...folder, '--attack', 'none', '--json'],
      tempDir(),
    );
    expect(evaluation.code).toBe(0);
    expect(evaluation.stderr).toContain(
      `DatasetWarning: imagefolder: skipped 1 of the 10 images in the all split of ${photos} that do not decode: ${broken}`,
    );
    const measured = JSON.parse(evaluation.stdout) as { points: (Point & { count: number })[] };
    expect(measured.points.map((p) => [p.name, p.context, p.count])).toEqual([['accuracy', { split: 'all' }, 9]]);
    const strict = ['--dataset-config', JSON.stringify({ path: photos, strict: true })];
    const refused = await cli(
      ['evaluate', '--weights', checkpoint, '--dataset', 'imagefolder', ...strict, '--attack', 'none'],
      tempDir(),
    );
    expect([refused.code, refused.stderr.trim()]).toEqual([
      1,
      expect.stringMatching(new RegExp(`^paretune: ${broken}: not a decodable image`)),
    ]);

    const run = await cli(
      [
        'run',
        '--model',
        checkpoint,
        ...folder,
        '--strategy',
        'bitfit',
        '--steps',
        '1',
        '--batch-size',
        '4',
        '--eval-schedule',
        '0',
        '--attack',
        'none',
        '--json',
        '--quiet',
      ],
      tempDir(),
    );
    expect(run.code).toBe(0);
    const { data } = JSON.parse(run.stdout) as {
      data: { train: { images: number; skipped?: number }; test: { images: number; skipped?: number } };
    };
    expect([data.train.images + data.test.images, (data.train.skipped ?? 0) + (data.test.skipped ?? 0)]).toEqual([
      9, 1,
    ]);
  });

  it('prints progress lines and a summary in text mode', async () => {
    const { code, stdout, stderr } = await cli(
      [
        '--plugin',
        plugin,
        'run',
        '--model',
        checkpoint,
        '--dataset',
        'toy',
        '--strategy',
        'bitfit',
        '--steps',
        '2',
        '--batch-size',
        '16',
        '--eval-schedule',
        '0',
        '--train-sample',
        '10',
        '--attack-steps',
        '1',
      ],
      tempDir(),
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/trainable \d[\d,]* of [\d,]+ parameters/);
    expect(stderr).toMatch(/step +0 {2}train 0\.\d{4} {2}validation 0\.\d{4} {2}test 0\.\d{4} {2}pgd@0\.0039 0\.\d{4}/);
    expect(stdout).toMatch(
      /best-validation checkpoint: step \d \(last step 2\)\nAUPF 0\.\d{4} \(frontier of \d of the logged steps/,
    );
  });

  it('stores every run and its points; runs lists and shows them; a failed run keeps its points', async () => {
    const env = { PARETUNE_DB: join(tempDir(), 'study.db') };
    const dir = tempDir();
    const base = [
      '--plugin',
      plugin,
      'run',
      '--model',
      checkpoint,
      '--dataset',
      'toy',
      '--batch-size',
      '16',
      '--eval-schedule',
      '0,2',
      '--train-sample',
      '10',
      '--attack-steps',
      '1',
      '--quiet',
    ];
    const ok = await cli([...base, '--strategy', 'lora', '--steps', '2', '--json'], dir, env);
    expect(ok.code).toBe(0);
    const { runId, points } = JSON.parse(ok.stdout) as { runId: string; points: Point[] };
    const failed = await cli(
      [...base, '--strategy', 'full', '--steps', '40', '--lr', '1e30', '--warmup', '0'],
      dir,
      env,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /metric points were measured and stored \(run [0-9a-f-]+\) before the failure\nparetune: training diverged/,
    );

    const refused = [
      '--plugin',
      plugin,
      'run',
      '--model',
      checkpoint,
      '--dataset',
      'toy',
      '--strategy',
      'lora',
      '--attack',
      'fgsm',
    ];
    expect((await cli(refused, dir, env)).stderr).toContain("unknown attack 'fgsm'"); // refused before any work: no run row
    expect((await cli([...refused, '--eps', '1/255'], dir, env)).stderr).toContain(
      '--eps and --attack-steps configure pgd, which is not among the attacks (fgsm)',
    );

    const listed = JSON.parse((await cli(['runs', '--json'], dir, env)).stdout) as {
      id: string;
      status: string;
      strategy: string;
    }[];
    expect(listed.map((r) => [r.strategy, r.status]).sort()).toEqual([
      ['full', 'failed'],
      ['lora', 'finished'],
    ]);
    const shown = JSON.parse((await cli(['runs', runId, '--json'], dir, env)).stdout) as {
      status: string;
      bestStep: number;
      points: Point[];
    };
    expect(shown.status).toBe('finished');
    expect(shown.points).toHaveLength(points.length);
    expect((await cli(['runs', '--status', 'failed'], dir, env)).stdout).toMatch(/failed +full +toy/);
    expect((await cli(['runs', 'nope'], dir, env)).stderr).toContain("no run 'nope' in");
    expect((await cli(['runs', '--status', 'odd'], dir, env)).stderr).toContain(
      "--status: 'odd' is not one of running, finished, failed, cancelled, interrupted",
    );
    // Every output ends with one newline, so the shell prompt after it starts on its own line.
    for (const argv of [
      ['runs'],
      ['runs', runId],
      ['runs', '--json'],
      ['runs', runId, '--json'],
      ['runs', '--dataset', 'none'],
    ]) {
      expect((await cli(argv, dir, env)).stdout).toMatch(/[^\n]\n$/);
    }
  });

  it('explains bad input', async () => {
    const dir = tempDir();
    const base = ['--plugin', plugin, 'run', '--model', checkpoint, '--dataset', 'toy', '--strategy', 'lora'];
    expect((await cli([...base, '--eps', '-1'], dir)).stderr).toContain(
      "paretune: attack 'pgd' config is invalid: field 'eps[0]': expected a radius: a number >= 0",
    );
    expect((await cli([...base, '--eps', 'one'], dir)).stderr).toContain("--eps: 'one' is not a number");
    expect((await cli([...base, '--attack', 'fgsm'], dir)).stderr).toContain("unknown attack 'fgsm' (available: pgd)");
    expect((await cli([...base, '--eval-schedule', '10,5'], dir)).stderr).toContain(
      'steps must be strictly increasing',
    );
    expect(
      (await cli(['--plugin', plugin, 'evaluate', '--weights', 'vit-bench-32', '--dataset', 'toy'], dir)).stderr,
    ).toContain("preset 'vit-bench-32' needs the number of classes");
    expect(
      (await cli(['--plugin', plugin, 'evaluate', '--weights', checkpoint, '--dataset', 'toy', '--split', 'val'], dir))
        .stderr,
    ).toContain("dataset 'toy' has no split 'val' (splits: train, test, noisy/test, dim/test)");
  });
});
