import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

let plugin: string;
let checkpoint: string;

beforeAll(async () => {
  plugin = toyDatasetPackage();
  checkpoint = await tinyCheckpoint(tempDir());
});

describe('--micro-batch', () => {
  it('evaluate: micro-batches of 4 give the same points as whole batches; run records it in the spec', async () => {
    const dir = tempDir();
    const evaluate = [
      '--plugin',
      plugin,
      'evaluate',
      '--weights',
      checkpoint,
      '--dataset',
      'toy',
      '--attack-steps',
      '2',
      '--json',
    ];
    const points = async (extra: string[]): Promise<unknown> => {
      const result = await cli([...evaluate, ...extra], dir);
      expect(result.stderr).toBe('');
      return (JSON.parse(result.stdout) as { points: Array<{ context: unknown; value: number }> }).points.map((p) => [
        p.context,
        p.value,
      ]);
    };
    expect(await points(['--micro-batch', '4'])).toEqual(await points([]));

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
        'bitfit',
        '--steps',
        '1',
        '--batch-size',
        '8',
        '--micro-batch',
        '3',
        '--eval-schedule',
        '0',
        '--train-sample',
        '8',
        '--attack',
        'none',
        '--json',
        '--quiet',
      ],
      dir,
    );
    expect(run.stderr).toBe('');
    const spec = (
      JSON.parse(run.stdout) as { spec: { training: { microBatch: number }; evaluation: { microBatch: number } } }
    ).spec;
    expect([spec.training.microBatch, spec.evaluation.microBatch]).toEqual([3, 3]);
  });

  it('explains a bad value in one line', async () => {
    const result = await cli(
      ['--plugin', plugin, 'evaluate', '--weights', checkpoint, '--dataset', 'toy', '--micro-batch', '0'],
      tempDir(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--micro-batch');
  });
});
