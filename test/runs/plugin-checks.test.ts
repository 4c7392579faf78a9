import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createContainer } from '../../src/core/container.js';
import type { AttackPlugin, StrategyPlugin } from '../../src/core/contracts/index.js';
import { definePlugin, z } from '../../src/core/contracts/index.js';
import { checkAttackResults } from '../../src/core/evaluation/attack-check.js';
import { adaptModel, countForArchitecture } from '../../src/core/model/adapt.js';
import { PluginRegistry } from '../../src/core/registry/registry.js';
import { runFineTuning } from '../../src/core/runs/runner.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import { linearProbe } from '../../src/plugins/strategies/linear-probe.js';
import {
  cli,
  metricPluginSource,
  tempDir,
  TINY,
  tinyCheckpoint,
  tinyModel,
  toyDatasetPackage,
  writePluginPackage,
} from '../helpers/index.js';

/** The third-party attack seen in the wild: pixels outside [0,1], 10x outside its radius, and another eps reported. */
const BROKEN_ATTACK = `import { definePlugin, z } from 'paretune/plugin';
import { tf } from 'paretune/tensor';
export default definePlugin({
  family: 'attack',
  meta: { name: 'broken', version: '1.0.0', apiVersion: 1, description: 'Breaks the attack contract.' },
  configSchema: z.object({}),
  threatModels: () => [{ norm: 'Linf', eps: 1 / 255 }],
  async perturb({ pixels }) {
    return [{ threat: { norm: 'Linf', eps: 8 / 255 }, pixels: tf.tidy(() => tf.add(pixels, 10 / 255)) }];
  },
});
`;

let weights: string;
let plugins: string[];

beforeAll(async () => {
  weights = await tinyCheckpoint(tempDir());
  plugins = [toyDatasetPackage(), writePluginPackage(tempDir(), 'paretune-plugin-broken-attack', BROKEN_ATTACK)];
});

afterEach(() => {
  vi.restoreAllMocks();
});

const attack = (threats: { norm: 'Linf' | 'L2' | 'L1'; eps: number }[]): AttackPlugin =>
  definePlugin({
    family: 'attack',
    meta: { name: 'probe', version: '1.0.0', apiVersion: 1, description: 'Declares the given threat models.' },
    configSchema: z.object({}),
    threatModels: () => threats,
    perturb: async () => [],
  }) as AttackPlugin;

describe('attack results', () => {
  it('pass when they keep to the contract, leaking no tensors', async () => {
    const clean = tf.fill([2, 4, 4, 3], 0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const results = [
      { threat: { norm: 'Linf' as const, eps: 0.1 }, pixels: tf.add(clean, 0.1) as tf.Tensor4D },
      { threat: { norm: 'L2' as const, eps: 0.5 }, pixels: clean.clone() },
    ];
    await checkAttackResults(attack(results.map((r) => r.threat)), {}, clean, results);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([clean, ...results.map((r) => r.pixels)]);
  });

  it('are refused, naming the attack and every violation, and disposed', async () => {
    const clean = tf.fill([2, 4, 4, 3], 0.5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const pixels = tf.tensor4d(
      Float32Array.from({ length: 96 }, (_, i) => (i === 0 ? Number.NaN : 0.5)),
      [2, 4, 4, 3],
    );
    const check = (
      threat: { norm: 'Linf' | 'L2' | 'L1'; eps: number },
      adversarial: tf.Tensor4D,
      declared = [threat],
    ) =>
      checkAttackResults(attack(declared), {}, clean, [{ threat, pixels: adversarial }]).then(
        () => 'passed',
        (e: Error) => e.message,
      );
    const linf = { norm: 'Linf' as const, eps: 0.01 };
    expect(await check(linf, tf.add(clean, 0.6) as tf.Tensor4D)).toBe(
      "attack 'probe' broke the attack contract: Linf eps 0.01: pixels in [1.100000023841858, 1.100000023841858], outside [0,1]; " +
        'Linf eps 0.01: a perturbation of Linf size 0.6000000238418579, beyond its radius',
    );
    expect(await check({ norm: 'L2', eps: 0.5 }, tf.add(clean, 0.1) as tf.Tensor4D)).toMatch(
      /L2 eps 0.5: a perturbation of L2 size 0\.69\d+, beyond its radius$/,
    );
    expect(await check({ norm: 'L1', eps: 1 }, tf.add(clean, 0.1) as tf.Tensor4D)).toMatch(
      /L1 eps 1: a perturbation of L1 size 4\.(8|79)\d*, beyond its radius$/,
    );
    expect(await check(linf, pixels)).toBe(
      "attack 'probe' broke the attack contract: Linf eps 0.01: 1 non-finite pixels",
    );
    expect(await check(linf, tf.zeros([1, 4, 4, 3]))).toBe(
      "attack 'probe' broke the attack contract: Linf eps 0.01: pixels of shape [1,4,4,3], not [2,4,4,3]",
    );
    expect(await check({ norm: 'Linf', eps: 8 / 255 }, clean.clone(), [{ norm: 'Linf', eps: 1 / 255 }])).toMatch(
      /it returned results for \[Linf eps 0\.0313\d+\] but its threatModels\(\) declare \[Linf eps 0\.0039\d+\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    clean.dispose();
  });

  it('of a third-party attack that breaks the contract fail the evaluation and the run, naming the attack', async () => {
    const evaluation = await cli(
      [
        ...plugins.flatMap((p) => ['--plugin', p]),
        'evaluate',
        '--weights',
        weights,
        '--dataset',
        'toy',
        '--attack',
        'broken',
      ],
      tempDir(),
    );
    expect(evaluation.stderr).toMatch(
      /^paretune: attack 'broken' broke the attack contract: it returned results for \[Linf eps 0\.0313\d+\] but its threatModels\(\) declare \[Linf eps 0\.0039\d+\]; Linf eps 0\.0313\d+: pixels in \[0\.0\d+, 1\.03\d+\], outside \[0,1\]; Linf eps 0\.0313\d+: a perturbation of Linf size 0\.039\d+, beyond its radius\n$/,
    );
    expect(evaluation.code).toBe(1);
    const run = await cli(
      [
        ...plugins.flatMap((p) => ['--plugin', p]),
        'run',
        '--model',
        weights,
        '--dataset',
        'toy',
        '--strategy',
        'bitfit',
        '--attack',
        'broken',
        '--steps',
        '1',
        '--eval-schedule',
        '0',
        '--train-sample',
        '10',
        '--quiet',
      ],
      tempDir(),
    );
    expect(run.stderr).toMatch(/^paretune: attack 'broken' broke the attack contract: /);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.code).toBe(1);
  });
});

describe('a run whose frontier has no points', () => {
  it('warns in one line, naming the threat model', async () => {
    const metric = writePluginPackage(tempDir(), 'paretune-plugin-constant-metric', metricPluginSource('constant'));
    const di = await createContainer({
      builtins: builtinPlugins,
      cwd: tempDir(),
      plugins: [plugins[0] as string, metric],
    });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const spec = {
      model: weights,
      dataset: 'toy',
      strategies: ['bitfit'],
      attacks: [{ name: 'pgd', config: { eps: '8/255', steps: 1 } }],
      metrics: ['constant'],
      training: { batchSize: 16, steps: 2, warmupSteps: 0 },
      evaluation: { schedule: [0], trainSample: 10 },
    };
    const result = await runFineTuning(spec, {
      registry: di.resolve(PluginRegistry),
      cacheDir: tempDir(),
      dataDir: tempDir(),
    });
    expect(result.frontier?.points).toEqual([]);
    expect(warn.mock.calls).toEqual([
      [
        'no logged step has both test accuracy and robust accuracy under pgd Linf eps 8/255: the frontier is empty; its AUPF 0 measures nothing',
        { type: 'RunWarning', code: 'PARETUNE_EMPTY_FRONTIER' },
      ],
    ]);
  });
});

describe('a strategy that trains nothing beyond the head', () => {
  const misspelt = definePlugin({
    family: 'strategy',
    meta: { name: 'typo-bitfit', version: '1.0.0', apiVersion: 1, description: 'Matches no parameter.' },
    configSchema: z.object({ suffix: z.string() }),
    adapt: (_model, { suffix }) => ({ trains: (name: string) => name.endsWith(suffix), added: new Map(), hooks: {} }),
  }) as StrategyPlugin;

  it('is refused unless it declares headOnly, as linear-probe does', () => {
    const model = tinyModel(0);
    try {
      expect(() => adaptModel(model, [{ plugin: misspelt, config: { suffix: '.biass' } }], Rng.fromSeed(0))).toThrow(
        `strategy 'typo-bitfit' (config {"suffix":".biass"}) trains nothing beyond the head: it adds no parameter and trains no backbone parameter; ` +
          'check its config (a linear probe must declare headOnly)',
      );
      expect(() =>
        countForArchitecture(TINY, [{ plugin: misspelt, config: { suffix: '.biass' } }], Rng.fromSeed(0)),
      ).toThrow('trains nothing beyond the head');
      // The head alone does not count: classifier.bias ends in '.bias' too.
      expect(() =>
        adaptModel(model, [{ plugin: misspelt, config: { suffix: 'classifier.bias' } }], Rng.fromSeed(0)),
      ).toThrow('trains nothing beyond the head');
      expect(adaptModel(model, [{ plugin: misspelt, config: { suffix: '.bias' } }], Rng.fromSeed(0))).toHaveLength(1);
      expect(adaptModel(model, [{ plugin: linearProbe as StrategyPlugin, config: {} }], Rng.fromSeed(0))).toHaveLength(
        1,
      );
    } finally {
      model.dispose();
    }
  });
});
