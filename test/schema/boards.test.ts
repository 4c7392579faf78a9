import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/core/store/migrations.js';
import { gql, seedRuns, startServer, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';
import type { SeedRun, ServerProcess } from '../helpers/index.js';

const TOKEN = 'boards-token';
const auth = { authorization: `Bearer ${TOKEN}` };

/** The best-validation checkpoint is the last step (0.7 clean), not the frontier's best clean point (0.9). */
const trajectory = (shift: number): SeedRun['trajectory'] => [
  [0.1, 0.05],
  [0.9, 0.1 + shift],
  [0.7, 0.3 + shift],
];
const run = (id: string, overrides: Partial<SeedRun>): SeedRun => ({
  id,
  strategy: 'lora',
  dataset: 'mnist-like',
  seed: 0,
  tags: [],
  trajectory: trajectory(0),
  ...overrides,
});

/** Two seeds of one setting, the same strategy with another learning rate, another strategy, and another backbone. */
const RUNS: SeedRun[] = [
  run('demo-lora-0', { model: 'vit-demo-28' }),
  run('demo-lora-1', { model: 'vit-demo-28', seed: 1, trajectory: trajectory(0.04) }),
  run('demo-lora-lr', { model: 'vit-demo-28', spec: { training: { learningRate: 1e-3 } } }),
  run('demo-bitfit', { model: 'vit-demo-28', strategy: 'bitfit', trajectory: trajectory(-0.02) }),
  run('base-lora', { model: 'vit-base-patch16-224', trajectory: trajectory(0.1) }),
];

interface Entry {
  strategy: string;
  runs: number;
  seeds: number[];
  runIds: string[];
  aupf: number;
  aupfStd: number | null;
  aupfCi95: { low: number; high: number } | null;
  frontierBestClean: number;
  bestCheckpointClean: number | null;
  bestCheckpointRobust: number | null;
  architecture: { imageSize: number; patchSize: number; width: number; depth: number } | null;
  totalParameters: number | null;
  attack: { name: string; config: { steps: number } };
}
interface Board {
  model: string;
  norm: string;
  eps: { value: number; label: string };
  differences: string[];
  differsFromOtherBoards: string[];
  entries: Entry[];
}

const BOARD_FIELDS = `model norm eps { value label } differences differsFromOtherBoards entries { strategy runs seeds runIds aupf aupfStd aupfCi95 { low high }
  frontierBestClean bestCheckpointClean bestCheckpointRobust architecture { imageSize patchSize width depth } totalParameters attack }`;

let server: ServerProcess;
let weights: string;
let oldCheckpoint: string;

/** A database of schema 2 (before model ids) with a preset run and a checkpoint run, as an older paretune wrote them. */
function olderDatabase(file: string, checkpoint: string): void {
  const db = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 2)) db.exec(sql as string);
  db.pragma('user_version = 2');
  const insert = db.prepare(
    `INSERT INTO runs (id, spec, status, seed, strategy, dataset, model, paretune_version, created_at) VALUES (?, ?, 'failed', 0, 'lora', 'toy', ?, '0.1.0', ?)`,
  );
  insert.run(
    'old-preset',
    JSON.stringify({ model: 'vit-demo-28', dataset: 'toy', strategies: ['lora'] }),
    'vit-demo-28: the demo model',
    new Date().toISOString(),
  );
  insert.run(
    'old-checkpoint',
    JSON.stringify({ model: checkpoint, dataset: 'toy', strategies: ['lora'] }),
    `${checkpoint} (hf checkpoint ${checkpoint}, new 3-class head)`,
    new Date().toISOString(),
  );
  db.close();
}

const digestOf = (file: string): string => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;

beforeAll(async () => {
  const dir = tempDir();
  weights = await tinyCheckpoint(join(dir, 'weights'));
  oldCheckpoint = await tinyCheckpoint(join(dir, 'old-weights'));
  const db = join(dir, 'boards.db');
  olderDatabase(db, oldCheckpoint);
  seedRuns(db, RUNS);
  server = await startServer(['--plugin', toyDatasetPackage(), 'serve', '--port', '0', '--db', db], {
    PARETUNE_API_TOKEN: TOKEN,
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('leaderboards over HTTP', () => {
  it('pool only runs of one protocol and setting: a board per backbone, an entry per setting, with sample statistics', async () => {
    const response = await gql<{ leaderboard: Board[] }>(
      server.url,
      `{ leaderboard(dataset: "mnist-like") { ${BOARD_FIELDS} } }`,
    );
    expect(response.errors).toBeUndefined();
    const boards = response.data?.leaderboard ?? [];
    expect(boards.map((b) => b.model).sort()).toEqual(['vit-base-patch16-224', 'vit-demo-28']);
    for (const board of boards) expect(board.differsFromOtherBoards).toEqual(['model']);
    const demo = boards.find((b) => b.model === 'vit-demo-28') as Board;
    expect(demo.entries.map((e) => e.runIds.sort())).toEqual(
      expect.arrayContaining([['demo-lora-0', 'demo-lora-1'], ['demo-lora-lr'], ['demo-bitfit']]),
    );
    expect(demo.entries).toHaveLength(3);
    expect(demo.differences).toEqual(['strategies', 'training.learningRate']);

    const pooled = demo.entries.find((e) => e.runs === 2) as Entry;
    expect(pooled.seeds).toEqual([0, 1]);
    const single = demo.entries.find((e) => e.runIds[0] === 'demo-bitfit') as Entry;
    const alone = (
      await gql<{ frontier: { hypervolume: number } }>(
        server.url,
        '{ a: frontier(runs: ["demo-lora-0"]) { hypervolume } }',
      )
    ).data as unknown as { a: { hypervolume: number } };
    const other = (
      await gql<{ b: { hypervolume: number } }>(server.url, '{ b: frontier(runs: ["demo-lora-1"]) { hypervolume } }')
    ).data as { b: { hypervolume: number } };
    const [x, y] = [alone.a.hypervolume, other.b.hypervolume];
    const std = Math.abs(x - y) / Math.SQRT2; // the sample std of two values
    expect(pooled.aupf).toBeCloseTo((x + y) / 2, 12);
    expect(pooled.aupfStd).toBeCloseTo(std, 12);
    expect(pooled.aupfCi95?.low).toBeCloseTo((x + y) / 2 - (12.706 * std) / Math.SQRT2, 12);
    expect(pooled.aupfCi95?.high).toBeCloseTo((x + y) / 2 + (12.706 * std) / Math.SQRT2, 12);
    expect(single.aupfStd).toBeNull();
    expect(single.aupfCi95).toBeNull();

    // The frontier's best clean point and the reported (best-validation) model are different numbers.
    expect(pooled.frontierBestClean).toBe(0.9);
    expect(pooled.bestCheckpointClean).toBeCloseTo(0.7, 12);
    expect(pooled.bestCheckpointRobust).toBeCloseTo(0.32, 12);
    expect(pooled.architecture).toEqual({ imageSize: 28, patchSize: 7, width: 64, depth: 4 });
    expect(boards.find((b) => b.model === 'vit-base-patch16-224')?.entries[0]?.architecture).toEqual({
      imageSize: 224,
      patchSize: 16,
      width: 768,
      depth: 12,
    });
    expect(pooled.totalParameters).toBe(100_000);
    expect(pooled.attack).toMatchObject({
      name: 'pgd',
      config: { norm: 'Linf', steps: 15, randomStart: true, restarts: 1 },
    });
    expect(demo.norm).toBe('LINF');
    expect(demo.eps).toEqual({ value: 1 / 255, label: '1/255' });
  });

  it('finds runs by stable model id; older rows get one where it can be derived, and no answer shows a server path without the token', async () => {
    const ids = async (model: string): Promise<string[]> =>
      (
        (
          await gql<{ runs: { nodes: { id: string }[] } }>(
            server.url,
            'query($m: String) { runs(first: 100, filter: { model: { eq: $m } }) { nodes { id } } }',
            { m: model },
          )
        ).data?.runs.nodes ?? []
      )
        .map((n) => n.id)
        .sort();
    expect(await ids('vit-demo-28')).toEqual([
      'demo-bitfit',
      'demo-lora-0',
      'demo-lora-1',
      'demo-lora-lr',
      'old-preset',
    ]);
    expect(await ids(digestOf(oldCheckpoint))).toEqual(['old-checkpoint']);

    const query = '{ run(id: "old-checkpoint") { model modelName spec } datasets { name detail } plugins { origin } }';
    const open = await gql<{ run: { model: string; modelName: string; spec: { model: string } } }>(server.url, query);
    expect(open.data?.run.model).toBe(digestOf(oldCheckpoint));
    expect(open.data?.run.modelName).toBe('model.safetensors (hf checkpoint model.safetensors, new 3-class head)');
    expect(JSON.stringify(open.data)).not.toMatch(/"\/|[\s(]\/[\w.-]+\//);
    expect(JSON.stringify(open.data)).not.toContain(oldCheckpoint);
    const authorized = await gql<{ run: { spec: { model: string } } }>(server.url, query, {}, auth);
    expect(authorized.data?.run.spec.model).toBe(oldCheckpoint);
    // The token holder's answer is never served, from the server's answer cache, to a caller without the token.
    expect(JSON.stringify((await gql(server.url, query)).data)).not.toContain(oldCheckpoint);
  });
});

describe('threat models over HTTP', () => {
  const errorOf = async (
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<{ code: string | undefined; message: string | undefined }> => {
    const response = await gql(server.url, query, variables);
    return { code: response.errors?.[0]?.extensions?.code, message: response.errors?.[0]?.message };
  };

  it('answers a threat model or dataset nobody measured with BAD_USER_INPUT naming those that exist', async () => {
    const eps = await errorOf('{ leaderboard(dataset: "mnist-like", eps: 0.0314) { threat } }');
    expect(eps.code).toBe('BAD_USER_INPUT');
    expect(eps.message).toContain('pgd Linf eps 1/255 (15 steps)');
    expect((await errorOf('{ leaderboard(dataset: "mnist-like", norm: L2) { threat } }')).message).toContain(
      'measured there: pgd Linf eps 1/255',
    );
    const dataset = await errorOf('{ leaderboard(dataset: "cifar-11") { threat } }');
    expect(dataset).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('datasets with stored runs: mnist-like, toy'),
    });
    expect((await errorOf('{ measurements(dataset: "cifar-11") { runs } }')).message).toContain(
      'datasets with stored runs: mnist-like, toy',
    );
    expect((await errorOf('{ leaderboard(dataset: "mnist-like", norm: linf) { threat } }')).code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect(
      (await errorOf('query($n: Norm) { leaderboard(dataset: "mnist-like", norm: $n) { threat } }', { n: 'linf' }))
        .code,
    ).toBe('BAD_USER_INPUT');

    const history = await errorOf(
      '{ run(id: "demo-lora-0") { history(context: { split: "test", attack: "pgd", eps: 0.00392156862745098 }) { step } } }',
    );
    expect(history.code).toBe('BAD_USER_INPUT');
    expect(history.message).toContain('{"attack":"pgd","eps":0.00392156862745098,"norm":"Linf","split":"test"}');
    expect((await errorOf('{ run(id: "demo-lora-0") { history(metric: "acuracy") { step } } }')).message).toContain(
      'it logged accuracy',
    );
    expect((await errorOf('{ leaderboard(dataset: "mnist-like", eps: "eight") { threat } }')).code).toMatch(
      /BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/,
    );
  });

  it('takes radii as k/255 fractions, returns them with their labels, and lists what each dataset measured', async () => {
    const board = await gql<{ leaderboard: { eps: { value: number; label: string } }[] }>(
      server.url,
      '{ leaderboard(dataset: "mnist-like", eps: "1/255", norm: LINF, steps: 15) { eps { value label } } }',
    );
    expect(board.errors).toBeUndefined();
    expect(board.data?.leaderboard).toHaveLength(2);
    const history = await gql<{ run: { history: { step: number }[] } }>(
      server.url,
      '{ run(id: "demo-lora-0") { history(context: { split: "test", attack: "pgd", norm: "Linf", eps: "1/255" }) { step } } }',
    );
    expect(history.data?.run.history.map((p) => p.step)).toEqual([0, 10, 20]);

    const measured = await gql<{
      measurements: { dataset: string; runs: number; threatModels: unknown[]; shifts: unknown[] }[];
    }>(
      server.url,
      '{ measurements { dataset runs threatModels { attack norm eps { value label } steps label runs } shifts { shift variants runs } } }',
    );
    expect(measured.errors).toBeUndefined();
    expect(measured.data?.measurements.find((m) => m.dataset === 'mnist-like')).toEqual({
      dataset: 'mnist-like',
      runs: 5,
      threatModels: [
        {
          attack: 'pgd',
          norm: 'LINF',
          eps: { value: 1 / 255, label: '1/255' },
          steps: 15,
          label: 'pgd Linf eps 1/255',
          runs: 5,
        },
      ],
      shifts: [],
    });
  });
});

describe('training loss over HTTP', () => {
  it('stores the loss at every evaluation step and every lossInterval steps, for history(metric: "loss")', async () => {
    const spec = {
      model: weights,
      dataset: 'toy',
      strategies: ['lora'],
      attacks: [],
      training: { steps: 6, batchSize: 16, warmupSteps: 0, lossInterval: 4 },
      evaluation: { schedule: [0, 3, 6], trainSample: 10 },
    };
    const started = await gql<{ startRun: { id: string } }>(
      server.url,
      'mutation($spec: JSON!) { startRun(spec: $spec) { id } }',
      { spec },
      auth,
    );
    expect(started.errors).toBeUndefined();
    const id = started.data?.startRun.id as string;
    let status = '';
    for (let i = 0; i < 600 && !['FINISHED', 'FAILED'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status =
        (await gql<{ run: { status: string } }>(server.url, 'query($id: ID!) { run(id: $id) { status } }', { id })).data
          ?.run.status ?? '';
    }
    expect(status).toBe('FINISHED');
    const answer = await gql<{ run: { model: string; history: { step: number; value: number; count: number }[] } }>(
      server.url,
      'query($id: ID!) { run(id: $id) { model history(metric: "loss", context: { split: "train" }) { step value count } } }',
      { id },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.run.model).toBe(digestOf(weights));
    expect(answer.data?.run.history.map((p) => p.step)).toEqual([3, 4, 6]);
    for (const point of answer.data?.run.history ?? []) {
      expect(point.value).toBeGreaterThan(0);
      expect(point.count).toBeGreaterThan(0);
    }
  }, 120_000);
});
