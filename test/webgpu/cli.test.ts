import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendSelection } from '../../src/core/tensor/backend.js';
import { hasGpuDeviceNode } from '../../src/core/tensor/webgpu.js';
import { cli, cliProcess, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';
import { onWebGpu } from './helpers.js';

interface Point {
  step: number;
  name: string;
  context: Record<string, unknown>;
  value: number;
}
/** Points as `step name context -> value`, whatever order they are listed in. */
const byKey = (points: readonly Point[]): Map<string, number> =>
  new Map(points.map((p) => [JSON.stringify([p.step, p.name, Object.entries(p.context).sort()]), p.value]));

const info = async (backend: string): Promise<BackendSelection> => {
  const { code, stdout } = await cliProcess(['info', '--json'], tempDir(), { PARETUNE_BACKEND: backend });
  expect(code).toBe(0); // and the process exits: Dawn no longer holds it open
  return (JSON.parse(stdout) as { backend: BackendSelection }).backend;
};

describe.skipIf(!onWebGpu)('the webgpu backend from the CLI', () => {
  let plugin: string;
  let checkpoint: string;
  beforeAll(async () => {
    plugin = toyDatasetPackage();
    checkpoint = await tinyCheckpoint(tempDir());
  });

  it('is chosen automatically only on a hardware adapter; forcing it works on any, and info names the adapter', async () => {
    const forced = await info('webgpu');
    expect(forced).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu', reason: 'requested by PARETUNE_BACKEND' });
    const adapter = forced.attempts[0]?.adapter;
    expect(adapter?.description).not.toBe('');
    expect(adapter?.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);

    const automatic = await info('');
    const webgpu = automatic.attempts.find((a) => a.backend === 'webgpu');
    if (!hasGpuDeviceNode()) {
      // A machine without a GPU device node: Dawn is not even started (lavapipe in CI).
      expect(automatic.name).toBe('wasm');
      expect(webgpu).toEqual({
        backend: 'webgpu',
        ok: false,
        detail: expect.stringMatching(/^no GPU device node \(\/dev\/dri/),
      });
      return;
    }
    expect(webgpu?.adapter?.description).toBe(adapter?.description);
    if (adapter?.software === undefined) {
      expect(automatic.name).toBe('webgpu');
    } else {
      expect(automatic.name).toBe('wasm');
      expect(webgpu).toMatchObject({
        ok: false,
        detail: expect.stringContaining(`skipped the software adapter '${adapter.description}'`),
      });
    }
  });

  it('runs a short fine-tuning run end to end and stores its points', async () => {
    const env = { PARETUNE_DB: join(tempDir(), 'study.db') };
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
        '--steps',
        '2',
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
        '--json',
        '--quiet',
      ],
      tempDir(),
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { runId, points } = JSON.parse(run.stdout) as { runId: string; points: Point[] };
    expect([...new Set(points.map((p) => p.step))]).toEqual([0, 2]);
    const accuracies = points.filter((p) => p.name === 'accuracy');
    expect(accuracies.length).toBeGreaterThan(0);
    expect(accuracies.every((p) => p.value >= 0 && p.value <= 1)).toBe(true);
    expect(points.filter((p) => p.name === 'loss').every((p) => Number.isFinite(p.value) && p.value > 0)).toBe(true);
    const shown = JSON.parse((await cli(['runs', runId, '--json'], tempDir(), env)).stdout) as {
      status: string;
      points: Point[];
    };
    expect(shown.status).toBe('finished');
    expect(byKey(shown.points)).toEqual(byKey(points));
  });
});
