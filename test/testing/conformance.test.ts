import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AttackPlugin, DatasetPlugin, MetricPlugin, StrategyPlugin } from '../../src/core/contracts/index.js';
import { definePlugin, z } from '../../src/core/contracts/index.js';
import { tf } from '../../src/core/tensor/index.js';
import { pgdAttack } from '../../src/plugins/attacks/pgd.js';
import { caltech256 } from '../../src/plugins/datasets/caltech256.js';
import { cifar10, cifar100 } from '../../src/plugins/datasets/cifar.js';
import { cub200 } from '../../src/plugins/datasets/cub200.js';
import { domainNet } from '../../src/plugins/datasets/domainnet.js';
import { fashionMnist } from '../../src/plugins/datasets/fashion-mnist.js';
import { imageFolder } from '../../src/plugins/datasets/imagefolder.js';
import { stanfordDogs } from '../../src/plugins/datasets/stanford-dogs.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import { accuracy } from '../../src/plugins/metrics/accuracy.js';
import { adapter } from '../../src/plugins/strategies/adapter.js';
import { bitfit } from '../../src/plugins/strategies/bitfit.js';
import { compacter } from '../../src/plugins/strategies/compacter.js';
import { fullFineTuning } from '../../src/plugins/strategies/full.js';
import { ia3 } from '../../src/plugins/strategies/ia3.js';
import { linearProbe } from '../../src/plugins/strategies/linear-probe.js';
import { lora } from '../../src/plugins/strategies/lora.js';
import {
  assertConforms,
  checkAttack,
  checkDataset,
  checkMetric,
  checkStrategy,
  ConformanceError,
} from '../../src/testing/index.js';
import type { DatasetCheckOptions, Finding } from '../../src/testing/index.js';
import { writeDomainNet } from '../helpers/domainnet.js';
import {
  hfCaltech256,
  hfCifar10,
  hfCifar100,
  hfCub200,
  hfDomainNet,
  hfStanfordDogs,
  patternPng,
} from '../helpers/hf-parquet.js';
import type { DomainNetRow } from '../helpers/hf-parquet.js';
import { cifarArchive, fashionMnistFiles, imageFolderTree, REPO_ROOT, tempDir } from '../helpers/index.js';
import { dogArchives, dogImages, officialLists } from '../helpers/stanford-dogs.js';
import { caltech256Archive, cub200Archive } from '../helpers/tar-datasets.js';
import { writeMat } from '../helpers/mat-writer.js';

const rulesOf = (findings: readonly Finding[]): string[] => findings.map((f) => f.rule);

/** The built-in datasets checked so far, so that the last test of the suite can name one left out. */
const checkedDatasets = new Set<string>();
function checkBuiltinDataset(plugin: DatasetPlugin, options: DatasetCheckOptions): Promise<Finding[]> {
  checkedDatasets.add(plugin.meta.name);
  return checkDataset(plugin, options);
}

/** An example package from plugins-examples/, installed beside this checkout as a user would have it. */
async function example<T>(name: string): Promise<T> {
  const dir = join(tempDir(), name);
  cpSync(join(REPO_ROOT, 'plugins-examples', name), dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'paretune'), 'dir');
  return ((await import(pathToFileURL(join(dir, 'index.js')).href)) as { default: T }).default;
}

describe('conformance suite: built-in plugins and the examples pass', () => {
  it('every built-in strategy and the vpt example', async () => {
    const strategies: StrategyPlugin[] = [
      fullFineTuning,
      linearProbe,
      bitfit,
      lora,
      adapter,
      compacter,
      ia3,
    ] as StrategyPlugin[];
    strategies.push(await example<StrategyPlugin>('vpt-strategy'));
    const findings = [];
    for (const strategy of strategies) findings.push(...(await checkStrategy(strategy)));
    expect(findings).toEqual([]);
  });

  it('pgd (two radii) and the apgd-ce example', async () => {
    expect(await checkAttack(pgdAttack as AttackPlugin, { config: { eps: ['1/255', '8/255'], steps: 3 } })).toEqual([]);
    expect(
      await checkAttack(await example<AttackPlugin>('apgd-attack'), { config: { eps: 8 / 255, steps: 3 } }),
    ).toEqual([]);
  });

  it('accuracy and the ece example', async () => {
    expect(await checkMetric(accuracy as MetricPlugin)).toEqual([]);
    expect(await checkMetric(await example<MetricPlugin>('ece-metric'))).toEqual([]);
  });

  it('imagefolder, fashion-mnist and the svhn example, on generated files in their real formats', async () => {
    const folder = tempDir();
    await imageFolderTree(folder, { cat: 5, dog: 5 });
    expect(
      await checkBuiltinDataset(imageFolder as DatasetPlugin, { config: { path: folder }, dataDir: tempDir() }),
    ).toEqual([]);

    const mnist = tempDir();
    fashionMnistFiles(
      mnist,
      Uint8Array.from({ length: 6 * 784 }, (_, i) => i % 256),
      Uint8Array.from([0, 1, 2, 3, 4, 9]),
    );
    expect(
      await checkBuiltinDataset(fashionMnist as DatasetPlugin, { config: { dir: mnist }, dataDir: tempDir() }),
    ).toEqual([]);

    const svhn = tempDir();
    for (const [file, count] of [
      ['train_32x32.mat', 6],
      ['test_32x32.mat', 3],
      ['extra_32x32.mat', 2],
    ] as const) {
      const X = Uint8Array.from({ length: 32 * 32 * 3 * count }, (_, i) => (i * 7) % 256);
      writeFileSync(
        join(svhn, file),
        writeMat({ X: { uint8: X, dims: [32, 32, 3, count] }, y: Array.from({ length: count }, (_, i) => i + 1) }),
      );
    }
    expect(
      await checkDataset(await example<DatasetPlugin>('svhn-dataset'), { config: { dir: svhn }, dataDir: tempDir() }),
    ).toEqual([]);
  });

  it('cifar10 and cifar100, on generated archives in their binary format', async () => {
    const data = tempDir();
    const batches = Object.fromEntries(
      [...['1', '2', '3', '4', '5'].map((n) => `data_batch_${n}.bin`), 'test_batch.bin'].map((file) => [file, 3]),
    );
    await cifarArchive(join(data, 'datasets', 'cifar10'), 'cifar-10-binary.tar.gz', 'cifar-10-batches-bin', batches, 1);
    expect(await checkBuiltinDataset(cifar10 as DatasetPlugin, { config: {}, dataDir: data })).toEqual([]);
    const splits = { 'train.bin': 8, 'test.bin': 4 };
    await cifarArchive(join(data, 'datasets', 'cifar100'), 'cifar-100-binary.tar.gz', 'cifar-100-binary', splits, 2);
    for (const labels of ['fine', 'coarse']) {
      expect(await checkBuiltinDataset(cifar100 as DatasetPlugin, { config: { labels }, dataDir: data })).toEqual([]);
    }
  });
});

describe('conformance suite: the built-in datasets of published archives pass', () => {
  it('caltech256, cub200, stanford-dogs and domainnet, on generated archives in their published layouts', async () => {
    const data = tempDir();
    await caltech256Archive(data, { '001.ak47': [10, 20, 30, 40, 50], '257.clutter': [200, 210, 220, 230, 240] });
    for (const clutter of [true, false]) {
      expect(await checkBuiltinDataset(caltech256 as DatasetPlugin, { config: { clutter }, dataDir: data })).toEqual(
        [],
      );
    }
    await cub200Archive(data, [
      { id: 1, cls: 1, train: 1 },
      { id: 2, cls: 1, train: 0 },
      { id: 3, cls: 200, train: 1, grayscale: true },
      { id: 4, cls: 200, train: 0 },
    ]);
    expect(await checkBuiltinDataset(cub200 as DatasetPlugin, { dataDir: data })).toEqual([]);
    await dogArchives(data, officialLists(), await dogImages());
    expect(await checkBuiltinDataset(stanfordDogs as DatasetPlugin, { dataDir: data })).toEqual([]);
    await writeDomainNet(join(data, 'datasets', 'domainnet'));
    for (const domain of ['real', 'quickdraw']) {
      expect(await checkBuiltinDataset(domainNet as DatasetPlugin, { config: { domain }, dataDir: data })).toEqual([]);
    }
  });

  it('cifar10, cifar100, caltech256, cub200, stanford-dogs and domainnet, on generated HF parquet copies', async () => {
    const data = tempDir();
    const pngs = (await Promise.all([0, 1, 2, 3].map(patternPng))).map((m) => m.png);
    for (const split of ['train', 'test'] as const) {
      hfCifar10(data, split, pngs, [0, 3, 9, 3]);
      hfCifar100(
        data,
        split,
        pngs,
        { fine: [0, 1, 99, 42], coarse: [0, 5, 19, 7] },
        {
          fine: cifar100.describe(cifar100.configSchema.parse({})).classNames,
          coarse: cifar100.describe(cifar100.configSchema.parse({ labels: 'coarse' })).classNames,
        },
      );
    }
    expect(await checkBuiltinDataset(cifar10 as DatasetPlugin, { config: { source: 'hf' }, dataDir: data })).toEqual(
      [],
    );
    for (const labels of ['fine', 'coarse']) {
      expect(
        await checkBuiltinDataset(cifar100 as DatasetPlugin, { config: { source: 'hf', labels }, dataDir: data }),
      ).toEqual([]);
    }
    await hfCaltech256(data, [
      [0, 1, 'ak47'],
      [0, 257, 'clutter'],
      [1, 2, 'american-flag'],
      [2, 256, 'toad'],
      [3, 1, 'ak47'],
      [3, 257, 'clutter'],
    ]);
    for (const clutter of [true, false]) {
      const config = { source: 'hf', clutter };
      expect(await checkBuiltinDataset(caltech256 as DatasetPlugin, { config, dataDir: data })).toEqual([]);
    }
    await hfCub200(data, [
      ['data/train-00000-of-00002.parquet', [0, 5]],
      ['data/train-00001-of-00002.parquet', [199]],
      ['data/test-00000-of-00002.parquet', [1]],
      ['data/test-00001-of-00002.parquet', [2, 199]],
    ]);
    expect(await checkBuiltinDataset(cub200 as DatasetPlugin, { config: { source: 'hf' }, dataDir: data })).toEqual([]);
    await hfStanfordDogs(data, [
      ['data/train-00000-of-00002.parquet', [0, 119]],
      ['data/train-00001-of-00002.parquet', [60]],
      ['data/test-00000-of-00001.parquet', [3, 119]],
    ]);
    const dogs = await checkBuiltinDataset(stanfordDogs as DatasetPlugin, { config: { source: 'hf' }, dataDir: data });
    expect(dogs).toEqual([]);
    // Every domain has test rows, so that each domain's test split opens whichever domain is the source.
    const test = [0, 1, 2, 3, 4, 5].map((d): DomainNetRow => [d, 10 * d + 1]);
    await hfDomainNet(
      data,
      [
        [[4, 0]],
        [
          [4, 344],
          [3, 5],
        ],
        [
          [3, 7],
          [4, 66],
        ],
      ],
      test,
    );
    for (const domain of ['real', 'quickdraw']) {
      const config = { source: 'hf', domain };
      expect(await checkBuiltinDataset(domainNet as DatasetPlugin, { config, dataDir: data })).toEqual([]);
    }
  });

  it('leaves out no built-in dataset (run after the tests above)', () => {
    const builtin = builtinPlugins.filter((p) => p.family === 'dataset').map((p) => p.meta.name);
    expect(builtin.filter((name) => !checkedDatasets.has(name))).toEqual([]);
  });
});

describe('conformance suite: broken plugins fail, naming the plugin and the rule', () => {
  it('an attack whose output leaves its radius', async () => {
    const overshoot = definePlugin({
      family: 'attack',
      meta: { name: 'overshoot', version: '1.0.0', apiVersion: 1, description: 'Steps twice as far as its radius.' },
      configSchema: z.object({ eps: z.number().default(0.05) }),
      threatModels: ({ eps }) => [{ norm: 'Linf' as const, eps }],
      perturb: async ({ pixels, config }) => [
        {
          threat: { norm: 'Linf' as const, eps: config.eps },
          pixels: tf.tidy(() => tf.clipByValue(tf.add(pixels, 2 * config.eps), 0, 1) as tf.Tensor4D),
        },
      ],
    });
    const findings = await checkAttack(overshoot as AttackPlugin);
    expect(rulesOf(findings)).toEqual(['radius']);
    expect(findings[0]?.message).toMatch(
      /^attack 'overshoot' breaks rule 'radius': Linf eps 0\.05: a perturbation of Linf size 0\.1\d*, beyond its radius$/,
    );
    expect(() => assertConforms(findings)).toThrow(ConformanceError);
    expect(() => assertConforms(findings)).toThrow("attack 'overshoot' breaks rule 'radius'");
  });

  it('an attack that is not deterministic under a seed, and one that leaks', async () => {
    let calls = 0;
    const drifting = definePlugin({
      family: 'attack',
      meta: { name: 'drifting', version: '1.0.0', apiVersion: 1, description: 'Draws noise from outside its rng.' },
      configSchema: z.object({}),
      threatModels: () => [{ norm: 'Linf' as const, eps: 0.1 }],
      perturb: async ({ pixels }) => [
        {
          threat: { norm: 'Linf' as const, eps: 0.1 },
          pixels: tf.tidy(() => tf.clipByValue(tf.sub(pixels, 0.01 * ++calls), 0, 1) as tf.Tensor4D),
        },
      ],
    });
    expect(rulesOf(await checkAttack(drifting as AttackPlugin))).toEqual(['deterministic']);
    const kept: tf.Tensor[] = [];
    const leaky = definePlugin({
      family: 'attack',
      meta: { name: 'leaky', version: '1.0.0', apiVersion: 1, description: 'Keeps a tensor per call.' },
      configSchema: z.object({}),
      threatModels: () => [{ norm: 'Linf' as const, eps: 0.1 }],
      perturb: async ({ pixels }) => {
        kept.push(tf.mul(pixels, 1));
        return [{ threat: { norm: 'Linf' as const, eps: 0.1 }, pixels: tf.clone(pixels) }];
      },
    });
    const findings = await checkAttack(leaky as AttackPlugin);
    tf.dispose(kept);
    expect(rulesOf(findings)).toEqual(['no-leaks']);
    expect(findings[0]?.message).toMatch(/^attack 'leaky' breaks rule 'no-leaks': it threw: 1 tensors leaked/);
  });

  it('a strategy that trains nothing, and one whose hooks ignore the parameter it adds', async () => {
    const misspelt = definePlugin({
      family: 'strategy',
      meta: {
        name: 'misspelt',
        version: '1.0.0',
        apiVersion: 1,
        description: 'Means to train the biases; trains nothing.',
      },
      configSchema: z.object({}),
      adapt: () => ({ trains: (name) => name.endsWith('.bais'), added: new Map(), hooks: {} }),
    });
    const findings = await checkStrategy(misspelt as StrategyPlugin);
    expect(findings).toEqual([
      {
        plugin: "strategy 'misspelt'",
        rule: 'trains-something',
        message:
          "strategy 'misspelt' breaks rule 'trains-something': it adds no parameter and trains no parameter outside the head, and does not declare headOnly",
      },
    ]);
    const unused = definePlugin({
      family: 'strategy',
      meta: { name: 'unused', version: '1.0.0', apiVersion: 1, description: 'Adds a scale it never applies.' },
      configSchema: z.object({}),
      adapt: () => ({
        trains: () => false,
        added: new Map([['classifier.scale', tf.tidy(() => tf.variable(tf.ones([3])))]]),
        hooks: {},
      }),
    });
    expect(rulesOf(await checkStrategy(unused as StrategyPlugin))).toEqual(['trains-what-it-says', 'trains-something']);
  });

  it('a strategy whose hook writes to a frozen weight', async () => {
    const writer = definePlugin({
      family: 'strategy',
      meta: {
        name: 'writer',
        version: '1.0.0',
        apiVersion: 1,
        description: 'Trains biases, and nudges the patch weights.',
      },
      configSchema: z.object({}),
      adapt: () => ({
        trains: (name) => name.endsWith('.bias'),
        added: new Map(),
        hooks: {
          tokens: (tokens) => {
            // The patch projection, kept as a [patch * patch * channels, hidden] matrix.
            const patch = Object.values(tf.engine().registeredVariables).find((v) => v.shape.join() === '48,16');
            patch?.assign(tf.add(patch, 1e-3));
            return tokens;
          },
        },
      }),
    });
    const findings = await checkStrategy(writer as StrategyPlugin);
    expect(rulesOf(findings)).toContain('frozen-unchanged');
    expect(findings.find((f) => f.rule === 'frozen-unchanged')?.message).toContain(
      'embeddings.patch_embeddings.projection.weight',
    );
  });

  it('a metric that leaves its range and gives a number for no images', async () => {
    const loose = definePlugin({
      family: 'metric',
      kind: 'point',
      meta: { name: 'loose', version: '1.0.0', apiVersion: 1, description: 'Counts correct images instead of a rate.' },
      configSchema: z.object({}),
      compute: ({ logits, labels, count, numClasses }) => {
        let correct = 0;
        for (let i = 0; i < count; i++) {
          const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
          if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
        }
        return correct;
      },
    });
    const findings = await checkMetric(loose as MetricPlugin);
    expect(rulesOf(findings)).toEqual(['range', 'range', 'empty-input']);
    expect(findings[2]?.message).toBe(
      "metric 'loose' breaks rule 'empty-input': on no images (count 0) it returned 0, not NaN",
    );
  });

  it('a dataset whose labels leave its classes, or that ignores the image size', async () => {
    const bad = (name: string, label: number, size: (imageSize: number) => number): DatasetPlugin =>
      definePlugin({
        family: 'dataset',
        meta: { name, version: '1.0.0', apiVersion: 1, description: 'Two images.' },
        configSchema: z.object({}),
        describe: () => ({ numClasses: 2, classNames: ['a', 'b'], splits: ['train', 'test'] }),
        open: async (_split, _config, { imageSize }) => ({
          size: 2,
          labels: Int32Array.from([0, label]),
          read: async (indices) => {
            const s = size(imageSize);
            return {
              pixels: new Uint8Array(indices.length * s * s * 3),
              labels: Int32Array.from(indices, (i) => (i === 0 ? 0 : label)),
              count: indices.length,
              height: s,
              width: s,
              channels: 3,
            };
          },
        }),
      }) as DatasetPlugin;
    const labels = await checkDataset(
      bad('labels', 2, (s) => s),
      { dataDir: tempDir() },
    );
    expect(rulesOf(labels)).toEqual(['labels', 'labels']);
    expect(labels[0]?.message).toBe(
      "dataset 'labels' breaks rule 'labels': it threw: split 'train': label 2 of image 1 is not a class (expected 0 to 1)",
    );
    expect(
      rulesOf(
        await checkDataset(
          bad('sizes', 1, () => 32),
          { dataDir: tempDir() },
        ),
      ),
    ).toEqual(['shapes', 'shapes']);
  });
});
