import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../../src/core/container.js';
import type { AttackPlugin } from '../../src/core/contracts/attack.js';
import { saveCheckpoint } from '../../src/core/model/checkpoint.js';
import { PluginRegistry } from '../../src/core/registry/registry.js';
import { onlyLosses, RunFailedError, runFineTuning } from '../../src/core/runs/runner.js';
import type { RunEvent } from '../../src/core/runs/runner.js';
import { resolveRun } from '../../src/core/runs/spec.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import { RunStoppedError } from '../../src/core/training/trainer.js';
import { tempDir, tinyModel, toyDatasetPackage, writePluginPackage } from '../helpers/index.js';

/** A dataset that honours the stop signal while it loads, as a long download or decode should. */
const STOPPABLE_DATASET = `import { definePlugin, z } from 'paretune/plugin';
export default definePlugin({
  family: 'dataset',
  meta: { name: 'stoppable', version: '1.0.0', apiVersion: 1, description: 'Checks the stop signal while it loads.' },
  configSchema: z.object({}),
  describe: () => ({ numClasses: 3, classNames: ['a', 'b', 'c'], domains: [], splits: ['train', 'test'] }),
  async open(split, config, { signal }) {
    signal?.throwIfAborted();
    throw new Error('not reached: the run was stopped');
  },
});
`;

let registry: PluginRegistry;
let modelPath: string;

beforeAll(async () => {
  const di = await createContainer({
    builtins: builtinPlugins,
    cwd: tempDir(),
    plugins: [toyDatasetPackage(), writePluginPackage(tempDir(), 'paretune-plugin-stoppable', STOPPABLE_DATASET)],
  });
  registry = di.resolve(PluginRegistry);
  const model = tinyModel(5);
  modelPath = await saveCheckpoint(model, tempDir());
  model.dispose();
});

const spec = (strategy: string, overrides: object = {}) => ({
  model: modelPath,
  dataset: 'toy',
  strategies: [strategy],
  attacks: [{ name: 'pgd', config: { eps: 8 / 255, steps: 2 } }],
  training: { batchSize: 16, steps: 8, learningRate: 5e-3, warmupSteps: 2 },
  evaluation: { schedule: [0, 4], trainSample: 20 },
  ...overrides,
});

const context = (events: RunEvent[] = []) => ({
  registry,
  cacheDir: tempDir(),
  dataDir: tempDir(),
  onEvent: (e: RunEvent) => events.push(e),
});

describe('a fine-tuning run end to end', () => {
  it.each(['full', 'linear-probe', 'bitfit', 'lora', 'adapter', 'compacter', 'ia3'])(
    '%s: metric points at the scheduled steps and a frontier with its AUPF',
    async (strategy) => {
      const tensorsBefore = tf.memory().numTensors;
      const events: RunEvent[] = [];
      const result = await runFineTuning(spec(strategy), context(events));
      expect(tf.memory().numTensors).toBe(tensorsBefore);

      expect(result.lastStep).toBe(8);
      expect([0, 4, 8]).toContain(result.bestStep);
      const at = (step: number, ctx: object, name = 'accuracy') =>
        result.points.filter(
          (p) => p.step === step && p.name === name && JSON.stringify(p.context) === JSON.stringify(ctx),
        );
      for (const step of [0, 4, 8]) {
        for (const split of ['train', 'validation', 'test'])
          expect(at(step, { split }), `${split} @${step}`).toHaveLength(1);
        expect(at(step, { split: 'test', attack: 'pgd', norm: 'Linf', eps: 8 / 255 })).toHaveLength(1);
      }
      expect(at(0, { split: 'train' })[0]?.count).toBe(20);
      expect(at(0, { split: 'validation' })[0]?.count).toBe(6);
      expect(at(0, { split: 'test' })[0]?.count).toBe(30);
      const final = result.points.filter((p) => p.context['checkpoint'] === 'best');
      expect(final.length).toBeGreaterThan(0);
      expect(final.every((p) => p.step === 8 && p.context['bestStep'] === result.bestStep)).toBe(true);
      // The best-validation checkpoint is the model measured at bestStep: the same values for every metric.
      for (const p of final) {
        const { checkpoint: _c, bestStep: _b, ...measured } = p.context;
        expect(at(result.bestStep, measured, p.name).map((q) => q.value)).toEqual([p.value]);
      }
      const [losses, accuracies] = [
        result.points.filter((p) => p.name === 'loss'),
        result.points.filter((p) => p.name !== 'loss'),
      ];
      expect(accuracies.every((p) => p.seconds >= 0 && p.value >= 0 && p.value <= 1)).toBe(true);
      // The training loss at every evaluation step after the first (none before training), of the step's batch.
      expect(losses.map((p) => [p.step, p.context])).toEqual([
        [4, { split: 'train' }],
        [8, { split: 'train' }],
      ]);
      expect(losses.every((p) => Number.isFinite(p.value) && p.value > 0 && p.count > 0 && p.count <= 16)).toBe(true);

      expect(result.frontier?.definition.name).toBe('hypervolume-2d');
      expect(result.frontier?.points.length).toBeGreaterThan(0);
      expect(result.frontier?.hypervolume).toBeGreaterThanOrEqual(0);
      expect(result.frontier?.hypervolume).toBeLessThanOrEqual(1);
      expect(result.plugins).toEqual(['toy@1.0.0', `${strategy}@0.1.0`, 'pgd@0.1.0', 'accuracy@0.2.0']);
      expect(result.data).toMatchObject({
        train: { images: 60, trained: 54, validation: 6 },
        test: { images: 30, evaluated: 30 },
      });

      expect(events[0]?.type).toBe('started');
      expect(events.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      // Measurements at 0, 4 and 8 and the best checkpoint's; the training losses of steps 4 and 8 come on their own.
      const evaluations = events.filter((e) => e.type === 'evaluation');
      expect(evaluations.filter((e) => !onlyLosses(e.points)).map((e) => e.step)).toEqual([0, 4, 8, 8]);
      expect(evaluations.filter((e) => onlyLosses(e.points)).map((e) => e.step)).toEqual([4, 8]);
    },
  );

  it("measures a dataset's other domains per domain and pooled, without attacking them", async () => {
    const result = await runFineTuning(
      spec('bitfit', { shifts: ['domains'], evaluation: { schedule: [0], trainSample: 10 } }),
      context(),
    );
    const at0 = result.points.filter((p) => p.step === 0);
    const domain = (name: string) => at0.filter((p) => p.context['domain'] === name);
    expect(domain('noisy').map((p) => p.context)).toEqual([{ split: 'noisy/test', shift: 'domains', domain: 'noisy' }]);
    expect(domain('dim')).toHaveLength(1);
    const pooled = at0.find((p) => p.context['split'] === 'ood');
    expect(pooled?.count).toBe(60);
    expect(pooled?.value).toBeCloseTo(((domain('noisy')[0]?.value ?? 0) + (domain('dim')[0]?.value ?? 0)) / 2, 10);
    expect(at0.filter((p) => p.context['attack'] !== undefined).every((p) => p.context['split'] === 'test')).toBe(true);
    expect(() =>
      resolveRun(spec('bitfit', { shifts: [{ name: 'domains', config: { domains: ['sketch'] } }] }), registry),
    ).not.toThrow();
    await expect(
      runFineTuning(spec('bitfit', { shifts: [{ name: 'domains', config: { domains: ['sketch'] } }] }), context()),
    ).rejects.toThrow("shift 'domains' config: sketch is not another domain of this dataset (available: noisy, dim)");
  });

  it('measures corruptions per variant and pooled, on the same corrupted images at every point', async () => {
    const shifts = [
      { name: 'corruptions', config: { corruptions: ['gaussian_noise', 'contrast'], severities: [1, 5] } },
    ];
    const result = await runFineTuning(
      spec('ia3', { shifts, attacks: [], evaluation: { schedule: [0, 4], trainSample: 10 } }),
      context(),
    );
    const variants = result.points
      .filter((p) => p.step === 0 && p.context['variant'] !== undefined)
      .map((p) => `${p.context['variant']}/${p.context['severity']}`);
    expect(variants).toEqual(['gaussian_noise/1', 'gaussian_noise/5', 'contrast/1', 'contrast/5']);
    const pooled = result.points.find(
      (p) => p.step === 0 && JSON.stringify(p.context) === JSON.stringify({ split: 'test', shift: 'corruptions' }),
    );
    expect(pooled?.count).toBe(4 * 30);
    expect(result.frontier).toBeUndefined();
    const again = await runFineTuning(
      spec('ia3', { shifts, attacks: [], evaluation: { schedule: [0, 4], trainSample: 10 } }),
      context(),
    );
    expect(again.points.map((p) => p.value)).toEqual(result.points.map((p) => p.value));
  });

  it('trains on a seeded subset when asked', async () => {
    const events: RunEvent[] = [];
    await runFineTuning(
      spec('bitfit', {
        training: { batchSize: 4, epochs: 1, subset: { perClass: 4 }, warmupSteps: 0 },
        attacks: [],
        evaluation: { schedule: [0], trainSample: 10 },
      }),
      context(events),
    );
    const started = events.find((e) => e.type === 'started') as { totalSteps: number };
    expect(started.totalSteps).toBe(3); // 3 classes x 4 images, batch 4
  });

  it('is reproducible: the same seed gives the same measurements', async () => {
    const values = async () =>
      (await runFineTuning(spec('lora', { evaluation: { schedule: [0], trainSample: 10 } }), context())).points.map(
        (p) => p.value,
      );
    expect(await values()).toEqual(await values());
  });

  it('stops on a NaN/Inf loss with a clear error and keeps what was measured', async () => {
    const failing = runFineTuning(
      spec('full', { training: { batchSize: 16, steps: 50, learningRate: 1e30, warmupSteps: 0, maxGradNorm: 0 } }),
      context(),
    );
    const error = (await failing.catch((e: unknown) => e)) as RunFailedError;
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error.message).toMatch(/^training diverged: the loss at step \d+ is (NaN|Infinity)/);
    expect(error.points.some((p) => p.step === 0)).toBe(true);
  });

  it('a stop while the dataset loads stops the run (resumable), not fails it', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(
      runFineTuning(spec('lora', { dataset: 'stoppable' }), { ...context(), signal: stop.signal }),
    ).rejects.toBeInstanceOf(RunStoppedError);
  });

  it('takes radii written as fractions in spec files', () => {
    const threats = (eps: unknown) => {
      const attack = resolveRun(spec('lora', { attacks: [{ name: 'pgd', config: { eps } }] }), registry).attacks[0]!;
      return (attack.plugin as AttackPlugin).threatModels(attack.config).map((t) => t.eps);
    };
    expect(threats('1/255')).toEqual([1 / 255]);
    expect(threats(['1/255', '8/255'])).toEqual([1 / 255, 8 / 255]);
  });

  it('refuses bad input before any work starts', () => {
    expect(() => resolveRun(spec('lora', { attacks: ['fgsm'] }), registry)).toThrow(
      "unknown attack 'fgsm' (available: pgd)",
    );
    expect(() => resolveRun(spec('lora', { shifts: ['fog'] }), registry)).toThrow(
      "unknown shift 'fog' (available: corruptions, domains)",
    );
    expect(() => resolveRun(spec('lora', { attacks: [{ name: 'pgd', config: { eps: -1 } }] }), registry)).toThrow(
      "attack 'pgd' config is invalid: field 'eps'",
    );
    expect(() => resolveRun(spec('lora', { attacks: [{ name: 'pgd', config: { steps: 0 } }] }), registry)).toThrow(
      "attack 'pgd' config is invalid: field 'steps'",
    );
    expect(() => resolveRun(spec('lora', { attacks: [{ name: 'pgd', config: { eps: 2 } }] }), registry)).toThrow(
      "attack 'pgd' config is invalid: field 'eps': an L-inf radius must be at most 1",
    );
    expect(() => resolveRun(spec('lora', { evaluation: { schedule: [0, 50, 40] } }), registry)).toThrow(
      "run spec is invalid: field 'evaluation.schedule': steps must be strictly increasing: step 2 (40) follows 50",
    );
    expect(() => resolveRun(spec('lora', { training: { batchSize: 0 } }), registry)).toThrow(
      "run spec is invalid: field 'training.batchSize'",
    );
    expect(() => resolveRun({ dataset: 'toy' }, registry)).toThrow("run spec is invalid: field 'strategies'");
  });
});
