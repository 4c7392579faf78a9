import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttackPlugin, DatasetPlugin, PointMetricPlugin, StrategyPlugin } from '../../src/core/contracts/index.js';
import { datasetFiles } from '../../src/core/data/files.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { Store } from '../../src/core/store/store.js';
import { pgdAttack } from '../../src/plugins/attacks/pgd.js';
import {
  cli,
  gql,
  REPO_ROOT,
  startServer,
  tempDir,
  tinyCheckpoint,
  tinyModel,
  toyData,
  trainedTinyModel,
} from '../helpers/index.js';
import { writeMat } from '../helpers/mat-writer.js';

/** A radius at which PGD fools the trained toy model on some images but not all (PGD-10 leaves 85% accuracy). */
const EPS = 0.07;
const EXAMPLES = ['apgd-attack', 'vpt-strategy', 'svhn-dataset', 'ece-metric'] as const;

/**
 * A project folder as a user would have it: each example package installed beside paretune (node_modules/paretune
 * links to this checkout, as `npm install` would provide it) and named in paretune.config.json.
 */
function project(): string {
  const dir = tempDir();
  for (const name of EXAMPLES) {
    cpSync(join(REPO_ROOT, 'plugins-examples', name), join(dir, name), { recursive: true });
    mkdirSync(join(dir, name, 'node_modules'), { recursive: true });
    symlinkSync(REPO_ROOT, join(dir, name, 'node_modules', 'paretune'), 'dir');
  }
  writeFileSync(join(dir, 'paretune.config.json'), JSON.stringify({ plugins: EXAMPLES.map((name) => `./${name}`) }));
  return dir;
}

let dir: string;
const load = async <T>(name: (typeof EXAMPLES)[number]): Promise<T> =>
  ((await import(pathToFileURL(join(dir, name, 'index.js')).href)) as { default: T }).default;

/** SVHN's layout: X is 32 x 32 x 3 x N uint8 (column-major), y is N x 1 double with 10 for the digit 0. */
function svhnFile(
  path: string,
  count: number,
  compress: boolean,
): { labels: number[]; pixel: (n: number, row: number, col: number, c: number) => number } {
  const pixel = (n: number, row: number, col: number, c: number): number => (n * 7 + row * 3 + col * 5 + c * 11) % 256;
  const X = new Uint8Array(32 * 32 * 3 * count);
  for (let n = 0; n < count; n++)
    for (let c = 0; c < 3; c++)
      for (let col = 0; col < 32; col++)
        for (let row = 0; row < 32; row++) X[row + 32 * col + 1024 * c + 3072 * n] = pixel(n, row, col, c);
  const labels = Array.from({ length: count }, (_, i) => (i % 10) + 1);
  writeFileSync(path, writeMat({ X: { uint8: X, dims: [32, 32, 3, count] }, y: labels }, { compress }));
  return { labels, pixel };
}

beforeAll(() => {
  dir = project();
});

describe('example plugin: APGD-CE attack', () => {
  it('takes radii as fraction strings and refuses L-inf radii above 1, as the shared eps schema does', async () => {
    const apgd = await load<AttackPlugin<{ eps: number | number[] }>>('apgd-attack');
    expect(apgd.configSchema.parse({ eps: ['1/255', '8/255'] }).eps).toEqual([1 / 255, 8 / 255]);
    expect(apgd.configSchema.safeParse({ eps: 2 }).error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['eps'], 'an L-inf radius must be at most 1 (the whole [0,1] pixel range), got 2'],
    ]);
    expect(apgd.configSchema.safeParse({ eps: -1 }).success).toBe(false);
  });

  it('stays within the L-inf ball and [0,1], leaks no tensors, and is at least as strong as PGD with the same number of gradient steps', async () => {
    const apgd = await load<AttackPlugin<{ eps: number; steps: number }>>('apgd-attack');
    const model = trainedTinyModel();
    const { pixels, labels } = toyData(48, 5);
    const robust = async (attack: AttackPlugin<unknown>, config: unknown): Promise<number> => {
      const [result] = await attack.perturb({ model, pixels, labels, config, rng: Rng.fromSeed(3) });
      const adversarial = result?.pixels as tf.Tensor4D;
      const [distance, low, high] = tf.tidy(() =>
        [tf.max(tf.abs(tf.sub(adversarial, pixels))), tf.min(adversarial), tf.max(adversarial)].map(
          (t) => t.dataSync()[0] as number,
        ),
      );
      expect(distance).toBeLessThanOrEqual(EPS + 1e-6);
      expect(low).toBeGreaterThanOrEqual(0);
      expect(high).toBeLessThanOrEqual(1);
      const accuracy = tf.tidy(
        () =>
          tf
            .mean(tf.cast(tf.equal(tf.argMax(model.logits(adversarial), 1), labels), 'float32'))
            .dataSync()[0] as number,
      );
      adversarial.dispose();
      return accuracy;
    };
    const clean = tf.tidy(
      () => tf.mean(tf.cast(tf.equal(tf.argMax(model.logits(pixels), 1), labels), 'float32')).dataSync()[0] as number,
    );
    const before = tf.memory().numTensors;
    const apgdAccuracy = await robust(apgd as AttackPlugin<unknown>, apgd.configSchema.parse({ eps: EPS, steps: 10 }));
    expect(tf.memory().numTensors).toBe(before);
    const pgdAccuracy = await robust(
      pgdAttack as AttackPlugin<unknown>,
      pgdAttack.configSchema.parse({ eps: EPS, steps: 10 }),
    );
    expect(pgdAccuracy).toBeLessThan(clean); // the radius matters for this model
    expect(pgdAccuracy).toBeGreaterThan(0); // and not so large that every attack wins
    expect(apgdAccuracy).toBeLessThanOrEqual(pgdAccuracy);
    tf.dispose([pixels, labels]);
    model.dispose();
  });
});

describe('example plugin: visual prompt tuning', () => {
  it('inserts trainable prompt tokens after the CLS token; only the prompts (and the head) train', async () => {
    const vpt = await load<StrategyPlugin<{ prompts: number }>>('vpt-strategy');
    const model = tinyModel();
    const adaptation = vpt.adapt(model, vpt.configSchema.parse({ prompts: 3 }), Rng.fromSeed(1));
    model.addAdaptation(adaptation);
    const prompts = adaptation.added.get('prompt.tokens') as tf.Variable;
    expect(prompts.shape).toEqual([1, 3, 16]);
    expect(model.parameters.some((p) => adaptation.trains(p.name))).toBe(false);
    const sequence = tf.tidy(() => adaptation.hooks.tokens?.(tf.ones([2, 5, 16]) as tf.Tensor3D) as tf.Tensor3D);
    expect(sequence.shape).toEqual([2, 8, 16]);
    tf.dispose(sequence);
    const { pixels, labels } = toyData(6, 2);
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, model.numClasses), model.logits(pixels)) as tf.Scalar,
      [prompts],
    );
    expect(tf.tidy(() => tf.sum(tf.abs(grads[prompts.name] as tf.Tensor)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([pixels, labels, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('example plugin: SVHN from the official MATLAB files', () => {
  it('reads X (32x32x3xN uint8, column-major) and y (10 is the digit 0), raw and compressed, and names bad files', async () => {
    const svhn = await load<DatasetPlugin<{ dir?: string }>>('svhn-dataset');
    const data = tempDir();
    const { labels, pixel } = svhnFile(join(data, 'train_32x32.mat'), 12, true);
    svhnFile(join(data, 'test_32x32.mat'), 5, false);
    const files = datasetFiles(tempDir(), 'svhn');
    const train = await svhn.open(
      'train',
      { dir: data },
      { imageSize: 32, dataDir: tempDir(), files, rng: Rng.fromSeed(0) },
    );
    expect(train.size).toBe(12);
    expect([...train.labels]).toEqual(labels.map((l) => l % 10));
    const batch = await train.read(Int32Array.from([0, 11]));
    expect(batch.pixels[((1 * 32 + 4) * 32 + 9) * 3 + 2]).toBe(pixel(11, 4, 9, 2));
    expect(batch.pixels[(2 * 32 + 30) * 3 + 1]).toBe(pixel(0, 2, 30, 1));
    expect(
      (await svhn.open('test', { dir: data }, { imageSize: 16, dataDir: tempDir(), files, rng: Rng.fromSeed(0) })).size,
    ).toBe(5);
    expect(svhn.availability?.({ dir: data }, files)).toMatchObject({ present: true });

    writeFileSync(
      join(data, 'train_32x32.mat'),
      'not a mat file at all, just text that is long enough to have a header of 128 bytes .........................................................',
    );
    await expect(
      svhn.open('train', { dir: data }, { imageSize: 32, dataDir: tempDir(), files, rng: Rng.fromSeed(0) }),
    ).rejects.toThrow('train_32x32.mat: not a MATLAB 5.0 MAT-file');
    await expect(
      svhn.open('validation', { dir: data }, { imageSize: 32, dataDir: tempDir(), files, rng: Rng.fromSeed(0) }),
    ).rejects.toThrow("svhn has no split 'validation'");
  });
});

describe('example plugin: expected calibration error', () => {
  it('bins predictions by confidence and weighs |accuracy - confidence| by bin size', async () => {
    const ece = await load<PointMetricPlugin<{ bins: number }>>('ece-metric');
    // Two classes; confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.6 (right) in 10 bins:
    // bin 9: accuracy 0.5, confidence 0.9 -> 0.4 x 2/4; bin 6: accuracy 1, confidence 0.6 -> 0.4 x 2/4; ECE 0.4.
    const logit = (p: number): number => Math.log(p / (1 - p));
    const logits = Float32Array.from([logit(0.9), 0, logit(0.9), 0, 0, logit(0.6), logit(0.6), 0]);
    const value = ece.compute(
      { logits, labels: Int32Array.from([0, 1, 1, 0]), count: 4, numClasses: 2, context: {} },
      { bins: 10 },
    );
    expect(value).toBeCloseTo(0.4, 5);
    expect(
      ece.compute({ logits, labels: new Int32Array(0), count: 0, numClasses: 2, context: {} }, { bins: 10 }),
    ).toBeNaN();
    expect(ece.configSchema.safeParse({ bins: 0 }).success).toBe(false);
  });
});

describe('example plugins inside paretune', () => {
  it('are listed by paretune info and the GraphQL plugins query, and run together in runs from the CLI and the API', async () => {
    const info = await cli(['info', '--json'], dir);
    expect(info.code, info.stderr).toBe(0);
    const listed = JSON.stringify(JSON.parse(info.stdout));
    for (const name of ['apgd-ce', 'vpt', 'svhn', 'ece']) expect(listed).toContain(`"${name}"`);

    const data = tempDir();
    svhnFile(join(data, 'train_32x32.mat'), 60, true);
    svhnFile(join(data, 'test_32x32.mat'), 20, true);
    const spec = {
      model: await tinyCheckpoint(tempDir()),
      dataset: { name: 'svhn', config: { dir: data } },
      strategies: [{ name: 'vpt', config: { prompts: 2 } }],
      attacks: [{ name: 'apgd-ce', config: { eps: 8 / 255, steps: 3 } }],
      metrics: ['accuracy', { name: 'ece', config: { bins: 5 } }],
      training: { steps: 4, batchSize: 8, warmupSteps: 0 },
      evaluation: { schedule: [0, 2, 4], trainSample: 10 },
    };
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const db = join(tempDir(), 'runs.db');
    const run = await cli(['run', '--spec', specFile, '--quiet', '--json'], dir, { PARETUNE_DB: db });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      plugins: string[];
      points: { name: string; context: { attack?: string } }[];
    };
    expect(result.plugins).toEqual(['svhn@1.0.0', 'vpt@1.0.0', 'apgd-ce@1.0.0', 'accuracy@0.2.0', 'ece@1.0.0']);
    expect(result.points.some((p) => p.name === 'ece')).toBe(true);
    expect(result.points.some((p) => p.context.attack === 'apgd-ce')).toBe(true);

    const server = await startServer(['serve', '--port', '0', '--db', db], { PARETUNE_API_TOKEN: 'token' }, dir);
    try {
      const plugins = await gql<{ plugins: { name: string; origin: string }[] }>(
        server.url,
        '{ plugins { name origin } }',
      );
      const origins = new Map(plugins.data?.plugins.map((p) => [p.name, p.origin]));
      expect(['apgd-ce', 'vpt', 'svhn', 'ece'].map((name) => origins.get(name))).toEqual([
        './apgd-attack',
        './vpt-strategy',
        './svhn-dataset',
        './ece-metric',
      ]);
      const started = await gql<{ startRun: { id: string } }>(
        server.url,
        'mutation($spec: JSON!) { startRun(spec: $spec) { id } }',
        { spec },
        { authorization: 'Bearer token' },
      );
      expect(started.errors).toBeUndefined();
      let status = '';
      for (let i = 0; i < 600 && !['FINISHED', 'FAILED'].includes(status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status =
          (
            await gql<{ run: { status: string } }>(server.url, 'query($id: ID!) { run(id: $id) { status } }', {
              id: started.data?.startRun.id,
            })
          ).data?.run.status ?? '';
      }
      expect(status).toBe('FINISHED');
    } finally {
      await server.stop();
    }
    const store = Store.open(db);
    expect(store.listRuns().map((r) => r.plugins)).toEqual([result.plugins, result.plugins]);
    store.close();
  }, 120_000);
});

describe('example plugins refused', () => {
  it('a copy built for another API version, or a second package with the same plugin name, stops start-up with a clear message', async () => {
    const broken = project();
    const ece = join(broken, 'ece-metric', 'index.js');
    writeFileSync(ece, readFileSync(ece, 'utf8').replace('apiVersion: 1', 'apiVersion: 2'));
    const wrong = await cli(['info'], broken);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      "plugin 'ece'@1.0.0 from 'definePlugin()' was written for plugin API version 2, but this paretune provides API version 1",
    );

    const twice = project();
    cpSync(join(twice, 'ece-metric'), join(twice, 'ece-copy'), { recursive: true });
    writeFileSync(
      join(twice, 'paretune.config.json'),
      JSON.stringify({ plugins: [...EXAMPLES.map((name) => `./${name}`), './ece-copy'] }),
    );
    const duplicate = await cli(['info'], twice);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('ece-copy');
  });
});
