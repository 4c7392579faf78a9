import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  gatedDatasetPackage,
  gql,
  seedRuns,
  startGatedRun,
  startServer,
  tempDir,
  tinyCheckpoint,
  toyDatasetPackage,
} from '../helpers/index.js';
import type { SeedRun, ServerProcess } from '../helpers/index.js';

const TOKEN = 'test-token-123';
const auth = { authorization: `Bearer ${TOKEN}` };
const STRATEGIES = ['lora', 'bitfit', 'full'];

/** 30 stored runs: 3 strategies x 2 datasets x 5 seeds, with tags and different trajectories. */
const SEEDED: SeedRun[] = Array.from({ length: 30 }, (_, i) => ({
  id: `seed-${String(i).padStart(2, '0')}`,
  strategy: STRATEGIES[i % 3] as string,
  dataset: i % 2 === 0 ? 'synthetic-a' : 'synthetic-b',
  seed: i % 5,
  tags: i % 4 === 0 ? ['baseline', 'sweep'] : ['sweep'],
  trajectory: [
    [0.1, 0.05],
    [0.5 + (i % 7) / 100, 0.3 - (i % 5) / 100],
    [0.8 + (i % 3) / 100, 0.2],
  ],
}));

let server: ServerProcess;
let readOnly: ServerProcess;
let plugin: string;
let weights: string;

beforeAll(async () => {
  plugin = toyDatasetPackage();
  const dir = tempDir();
  weights = await tinyCheckpoint(dir);
  const db = join(dir, 'api.db');
  seedRuns(db, SEEDED);
  [server, readOnly] = await Promise.all([
    startServer(
      [
        '--plugin',
        plugin,
        '--plugin',
        gatedDatasetPackage(),
        'serve',
        '--port',
        '0',
        '--db',
        db,
        '--cors',
        'http://dash.example',
      ],
      { PARETUNE_API_TOKEN: TOKEN },
    ),
    startServer(['serve', '--port', '0', '--db', db, '--max-depth', '4'], { PARETUNE_API_TOKEN: '' }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.stop(), readOnly?.stop()]);
});

const RUN_FIELDS =
  'id status strategy dataset seed tags summary { testAccuracy robustAccuracy aupf trainableParameters }';

describe('GraphQL API over HTTP', () => {
  describe('one run started with startRun', () => {
    type Update = { status: string; step: number; evaluatedStep: number | null };
    let started: Awaited<ReturnType<typeof gql<{ startRun: { id: string; status: string } }>>>;
    let id: string;
    const updates: Update[] = [];

    // Started once and followed over graphql-ws until its subscription ends; the tests below read what it left.
    beforeAll(async () => {
      const spec = {
        model: weights,
        dataset: 'toy',
        strategies: ['lora'],
        attacks: [{ name: 'pgd', config: { eps: 8 / 255, steps: 1 } }],
        tags: ['api'],
        training: { steps: 6, batchSize: 16, warmupSteps: 0 },
        evaluation: { schedule: [0, 3, 6], trainSample: 10 },
      };
      started = await gql<{ startRun: { id: string; status: string } }>(
        server.url,
        'mutation($spec: JSON!) { startRun(spec: $spec) { id status } }',
        { spec },
        auth,
      );
      if (started.data?.startRun === undefined) throw new Error(`startRun failed: ${JSON.stringify(started.errors)}`);
      id = started.data.startRun.id;
      const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket });
      await new Promise<void>((resolve, reject) => {
        client.subscribe<{ runProgress: Update }>(
          { query: 'subscription($id: ID!) { runProgress(id: $id) { status step evaluatedStep } }', variables: { id } },
          {
            next: ({ data, errors }) =>
              errors ? reject(new Error(JSON.stringify(errors))) : updates.push(data?.runProgress as Update),
            error: reject,
            complete: resolve,
          },
        );
      });
      await client.dispose();
    }, 60_000);

    it('startRun answers with the run, queued or running', () => {
      expect(started.errors).toBeUndefined();
      expect(['QUEUED', 'RUNNING']).toContain(started.data?.startRun.status);
    });

    it('runProgress follows it live to FINISHED, its step never going back', () => {
      expect(updates.at(-1)?.status).toBe('FINISHED');
      expect(updates.some((u) => u.status === 'RUNNING' && u.step > 0)).toBe(true);
      const steps = updates.map((u) => u.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    });

    it('run serves its status, tags, progress, evaluated history and robust metrics', async () => {
      const run = await gql<{
        run: {
          status: string;
          tags: string[];
          history: { step: number; value: number }[];
          metrics: { context: { attack?: string } }[];
          progress: { status: string };
        };
      }>(
        server.url,
        `query($id: ID!) { run(id: $id) { status tags history { step value } metrics { context } progress { status } } }`,
        { id },
      );
      expect(run.data?.run).toMatchObject({ status: 'FINISHED', tags: ['api'], progress: { status: 'FINISHED' } });
      expect(run.data?.run.history.map((p) => p.step)).toEqual([0, 3, 6]);
      expect(run.data?.run.metrics.some((m) => m.context.attack === 'pgd')).toBe(true);
    });

    const frontierOf = (runId: string) =>
      gql<{ frontier: { hypervolume: number; points: { runId: string; step: number }[] } }>(
        server.url,
        'query($id: ID!) { frontier(runs: [$id]) { hypervolume points { runId step } } }',
        { id: runId },
      );

    it('frontier holds some of its evaluated steps and nothing else', async () => {
      const frontier = await frontierOf(id);
      expect(frontier.data?.frontier.points.length).toBeGreaterThan(0);
      expect(frontier.data?.frontier.points.every((p) => p.runId === id && [0, 3, 6].includes(p.step))).toBe(true);
    });

    it("the dataset's leaderboard ranks it alone under its threat, with its frontier's AUPF", async () => {
      const frontier = await frontierOf(id);
      const board = await gql<{
        leaderboard: {
          threat: string;
          entries: { strategy: string; runIds: string[]; aupf: number; rank: number }[];
        }[];
      }>(server.url, '{ leaderboard(dataset: "toy") { threat entries { rank strategy runIds aupf } } }');
      expect(board.data?.leaderboard).toHaveLength(1);
      expect(board.data?.leaderboard[0]?.threat).toBe('pgd Linf eps 8/255');
      expect(board.data?.leaderboard[0]?.entries).toEqual([
        { rank: 1, strategy: 'lora', runIds: [id], aupf: frontier.data?.frontier.hypervolume },
      ]);
    });
  });

  it('walks every run exactly once with cursor pagination, in any order', async () => {
    for (const orderBy of [
      undefined,
      [{ field: 'AUPF', direction: 'ASC' }],
      [
        { field: 'STRATEGY', direction: 'DESC' },
        { field: 'SEED', direction: 'ASC' },
      ],
    ]) {
      const seen: string[] = [];
      let after: string | null = null;
      let total = -1;
      for (let page = 0; page < 20; page++) {
        const response: Awaited<
          ReturnType<
            typeof gql<{
              runs: {
                totalCount: number;
                edges: { node: { id: string } }[];
                pageInfo: { hasNextPage: boolean; endCursor: string };
              };
            }>
          >
        > = await gql(
          server.url,
          'query($after: String, $orderBy: [RunOrder!]) { runs(first: 7, after: $after, orderBy: $orderBy, filter: { tags: { hasAll: ["sweep"] } }) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }',
          { after, orderBy },
        );
        const runs = response.data?.runs;
        total = runs?.totalCount ?? -1;
        seen.push(...(runs?.edges.map((e) => e.node.id) ?? []));
        if (!runs?.pageInfo.hasNextPage) break;
        after = runs.pageInfo.endCursor;
      }
      expect(total).toBe(30);
      expect(seen).toHaveLength(30);
      expect(new Set(seen)).toEqual(new Set(SEEDED.map((r) => r.id)));
    }
  });

  it('combines filters with AND, OR, NOT and IN', async () => {
    const ids = async (filter: object): Promise<string[]> => {
      const response = await gql<{ runs: { nodes: { id: string }[] } }>(
        server.url,
        'query($filter: RunFilter) { runs(first: 100, filter: $filter) { nodes { id } } }',
        { filter },
      );
      expect(response.errors).toBeUndefined();
      return (response.data?.runs.nodes ?? []).map((r) => r.id).sort();
    };
    const expected = (predicate: (r: SeedRun) => boolean): string[] =>
      SEEDED.filter(predicate)
        .map((r) => r.id)
        .sort();
    const seeded = { tags: { hasAny: ['sweep'] } };
    expect(await ids({ ...seeded, OR: [{ strategy: { eq: 'lora' } }, { seed: { in: [3, 4] } }] })).toEqual(
      expected((r) => r.strategy === 'lora' || r.seed >= 3),
    );
    expect(await ids({ ...seeded, strategy: { in: ['bitfit', 'full'] }, dataset: { eq: 'synthetic-a' } })).toEqual(
      expected((r) => r.strategy !== 'lora' && r.dataset === 'synthetic-a'),
    );
    expect(await ids({ AND: [seeded, { NOT: { tags: { hasAll: ['baseline'] } } }] })).toEqual(
      expected((r) => !r.tags.includes('baseline')),
    );
    expect(await ids({ ...seeded, metrics: [{ metric: 'TEST_ACCURACY', gte: 0.815 }] })).toEqual(
      expected((r) => (r.trajectory[2]?.[0] ?? 0) >= 0.815),
    );
    expect(await ids({ ...seeded, seed: { gte: 1, lte: 2 }, OR: [{ strategy: { ne: 'full' } }] })).toEqual(
      expected((r) => r.seed >= 1 && r.seed <= 2 && r.strategy !== 'full'),
    );
  });

  it('answers bad requests with stable error codes, no stack traces, and stays up', async () => {
    const code = async (
      url: string,
      query: string,
      variables: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ): Promise<string | undefined> => {
      const response = await gql(url, query, variables, headers);
      for (const error of response.errors ?? []) expect(error.extensions?.stacktrace).toBeUndefined();
      return response.errors?.[0]?.extensions?.code;
    };
    expect(await code(server.url, 'mutation { cancelRun(id: "seed-00") { id } }')).toBe('UNAUTHENTICATED');
    expect(await code(server.url, 'mutation { deleteRun(id: "seed-00") }', {}, { authorization: 'Bearer wrong' })).toBe(
      'UNAUTHENTICATED',
    );
    expect(await code(readOnly.url, 'mutation { deleteRun(id: "seed-00") }', {}, auth)).toBe('FORBIDDEN');
    expect(readOnly.stdout).toContain('read-only');
    expect(await code(readOnly.url, '{ experiments { runs { edges { node { history { step } } } } } }')).toBe(
      'QUERY_TOO_DEEP',
    );
    expect(await code(server.url, '{ runs(first: 100) { nodes { history(samples: 5000) { step } } } }')).toBe(
      'QUERY_TOO_COMPLEX',
    );
    expect(
      await code(
        server.url,
        'mutation($spec: JSON!) { startRun(spec: $spec) { id } }',
        { spec: { dataset: 'toy', strategies: ['lroa'] } },
        auth,
      ),
    ).toBe('BAD_USER_INPUT');
    const invalid = await gql(
      server.url,
      'mutation($spec: JSON!) { startRun(spec: $spec) { id } }',
      { spec: { dataset: 'toy', strategies: ['lora'], training: { batchSize: -1 } } },
      auth,
    );
    expect(invalid.errors?.[0]?.message).toContain('training.batchSize');
    expect(await code(server.url, '{ runs(first: 0) { totalCount } }')).toBe('BAD_USER_INPUT');
    expect(await code(server.url, '{ run(id: "seed-00") { history(samples: 2) { step } } }')).toBe('BAD_USER_INPUT');
    expect(await code(server.url, '{ run(id: "seed-00") { history(context: [1]) { step } } }')).toBe('BAD_USER_INPUT');
    expect(await code(server.url, '{ runs(after: "garbage") { totalCount } }')).toBe('BAD_USER_INPUT');
    expect(await code(server.url, '{ run(id: "no-such-run") { id } }')).toBe('NOT_FOUND');
    expect(await code(server.url, 'mutation { deleteRun(id: "no-such-run") }', {}, auth)).toBe('NOT_FOUND');
    expect(await code(server.url, '{ nope }')).toBe('GRAPHQL_VALIDATION_FAILED');

    const big = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ plugins { name } } #${'x'.repeat(1_100_000)}` }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );

    expect((await fetch(server.url.replace('/graphql', '/health'))).status).toBe(200);
    expect(
      (
        await gql<{ runs: { totalCount: number } }>(
          server.url,
          '{ runs(filter: { dataset: { eq: "synthetic-a" } }) { totalCount } }',
        )
      ).data?.runs.totalCount,
    ).toBe(15);
  });

  it('answers a variable of the wrong type with BAD_USER_INPUT (400), naming the variable', async () => {
    for (const n of ['abc', 1.5, { a: 1 }]) {
      const response = await gql(server.url, 'query($n: Int) { runs(first: $n) { totalCount } }', { n });
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toContain('$n');
    }
    const nested = await gql(server.url, 'query($f: RunFilter) { runs(filter: $f) { totalCount } }', {
      f: { seed: { eq: 'x' } },
    });
    expect(nested.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('accepts the token only as "Authorization: Bearer <token>"', async () => {
    const codeWith = async (authorization: string): Promise<string | undefined> =>
      (await gql(server.url, 'mutation { deleteRun(id: "no-such-run") }', {}, { authorization })).errors?.[0]
        ?.extensions?.code;
    expect(await codeWith(TOKEN)).toBe('UNAUTHENTICATED');
    expect(await codeWith(`Token ${TOKEN}`)).toBe('UNAUTHENTICATED');
    expect(await codeWith(`Bearer ${TOKEN}x`)).toBe('UNAUTHENTICATED');
    expect(await codeWith(`Bearer ${TOKEN.slice(0, -1)}`)).toBe('UNAUTHENTICATED');
    expect(await codeWith(`Bearer ${TOKEN}`)).toBe('NOT_FOUND');
  });

  it('closes a WebSocket that sends a message over --max-body (1009) and stays healthy', async () => {
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(1_100_000) } }));
    expect(await closed).toBe(1009);
    expect((await fetch(server.url.replace('/graphql', '/health'))).status).toBe(200);
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket });
    const plugins = await new Promise<unknown>((resolve, reject) => {
      client.subscribe(
        { query: '{ plugins(family: STRATEGY) { name } }' },
        { next: ({ data }) => resolve(data), error: reject, complete: () => undefined },
      );
    });
    await client.dispose();
    expect((plugins as { plugins: unknown[] }).plugins.length).toBeGreaterThan(0);
  });

  it('serves plugins with config schemas, datasets, GET queries and CORS for configured origins', async () => {
    const plugins = await gql<{ plugins: { name: string; origin: string; configSchema: { type?: string } }[] }>(
      server.url,
      '{ plugins(family: DATASET) { name origin configSchema } }',
    );
    expect(plugins.data?.plugins.find((p) => p.name === 'toy')?.origin).toContain('toy');
    expect(plugins.data?.plugins.every((p) => p.configSchema.type === 'object')).toBe(true);
    const datasets = await gql<{
      datasets: { name: string; configured: boolean; available: boolean; numClasses: number | null }[];
    }>(server.url, '{ datasets { name configured available numClasses } }');
    expect(datasets.data?.datasets.find((d) => d.name === 'cifar10')).toMatchObject({
      configured: true,
      numClasses: 10,
    });

    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ runs(first: 1) { totalCount } }')}`);
    expect(get.status).toBe(200);
    const preflight = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://dash.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://dash.example');
    const foreign = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('cancels a queued run and deletes stored runs with their points', async () => {
    const spec = {
      model: weights,
      dataset: 'toy',
      strategies: ['bitfit'],
      attacks: [],
      training: { steps: 400, batchSize: 8, warmupSteps: 0 },
      evaluation: { schedule: [0, 400], trainSample: 10 },
    };
    const first = await gql<{ startRun: { id: string } }>(
      server.url,
      'mutation($spec: JSON!) { startRun(spec: $spec) { id } }',
      { spec },
      auth,
    );
    const second = await gql<{ startRun: { id: string; status: string } }>(
      server.url,
      'mutation($spec: JSON!) { startRun(spec: $spec) { id status } }',
      { spec },
      auth,
    );
    expect(second.data?.startRun.status).toBe('QUEUED');
    const cancelled = await gql<{ cancelRun: { status: string } }>(
      server.url,
      'mutation($id: ID!) { cancelRun(id: $id) { status } }',
      { id: second.data?.startRun.id },
      auth,
    );
    expect(cancelled.data?.cancelRun.status).toBe('CANCELLED');
    const running = first.data?.startRun.id as string;
    await gql(server.url, 'mutation($id: ID!) { cancelRun(id: $id) { status } }', { id: running }, auth);
    let status = '';
    for (let i = 0; i < 200 && status !== 'CANCELLED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status =
        (
          await gql<{ run: { status: string } }>(server.url, 'query($id: ID!) { run(id: $id) { status } }', {
            id: running,
          })
        ).data?.run.status ?? '';
    }
    expect(status).toBe('CANCELLED');
    expect(
      (
        await gql<{ deleteRun: boolean }>(
          server.url,
          'mutation($id: ID!) { deleteRun(id: $id) }',
          { id: running },
          auth,
        )
      ).data?.deleteRun,
    ).toBe(true);
    expect(
      (await gql(server.url, 'query($id: ID!) { run(id: $id) { id } }', { id: running })).errors?.[0]?.extensions?.code,
    ).toBe('NOT_FOUND');
  });

  it('starting an experiment again queues none of the runs it already holds; a held run shows as queued or running and cannot be deleted', async () => {
    const spec = {
      name: 'held-twice',
      base: {
        model: weights,
        attacks: [],
        training: { steps: 400, batchSize: 8, warmupSteps: 0 },
        evaluation: { schedule: [0, 1, 400], trainSample: 10 },
      },
      strategies: ['bitfit', 'lora'],
      datasets: ['toy'],
      seeds: [0],
    };
    const start = () =>
      gql(server.url, 'mutation($spec: JSON!) { startExperiment(spec: $spec) { id } }', { spec }, auth);
    const held = async () =>
      (
        await gql<{ runs: { totalCount: number; edges: { node: { id: string; status: string } }[] } }>(
          server.url,
          '{ runs(filter: { experiment: { eq: "held-twice" } }) { totalCount edges { node { id status } } } }',
        )
      ).data?.runs;
    const cancelAll = async () => {
      for (const { node } of (await held())?.edges ?? [])
        await gql(server.url, 'mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: node.id }, auth);
      for (
        let i = 0;
        i < 200 && ((await held())?.edges ?? []).some((e) => ['QUEUED', 'RUNNING'].includes(e.node.status));
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
    };

    await start();
    await start();
    const both = await held();
    expect(both?.totalCount).toBe(2);
    expect(both?.edges.map((e) => e.node.status).sort()).toEqual(['QUEUED', 'RUNNING']);
    await cancelAll();

    // The run that was running is stored as cancelled; started again, it is held to resume, and shows as such.
    let stored: { id: string; status: string }[] = [];
    for (let i = 0; i < 100 && stored.length === 0; i++) {
      stored = ((await held())?.edges ?? []).map((e) => e.node).filter((n) => n.status === 'CANCELLED');
      if (stored.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const cancelled = stored[0]?.id as string;
    expect(cancelled).toBeDefined();
    await start();
    const resumed = await held();
    expect(resumed?.totalCount).toBe(2);
    expect(resumed?.edges.find((e) => e.node.id === cancelled)?.node.status).toMatch(/^(QUEUED|RUNNING)$/);
    const refused = await gql(server.url, 'mutation($id: ID!) { deleteRun(id: $id) }', { id: cancelled }, auth);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/cancel it first/);
    await cancelAll();
  });
  const statusOf = async (id: string, until: string): Promise<{ status: string; error: string | null } | undefined> => {
    let run: { status: string; error: string | null } | undefined;
    for (let i = 0; i < 300 && run?.status !== until; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      run = (
        await gql<{ run: { status: string; error: string | null } }>(
          server.url,
          'query($id: ID!) { run(id: $id) { status error } }',
          { id },
        )
      ).data?.run;
    }
    return run;
  };

  it('answers queries while a run executing in the server holds its thread (runs do not share the event loop)', async () => {
    const gate = tempDir();
    const id = await startGatedRun(server.url, weights, gate, auth);
    try {
      for (let i = 0; i < 300 && !existsSync(join(gate, 'loading')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(gate, 'loading'))).toBe(true);
      // The run is still loading (the gate is shut): these answer only if it does not hold the server's event loop.
      const health = await fetch(server.url.replace('/graphql', '/health'), { signal: AbortSignal.timeout(20_000) });
      expect(await health.json()).toMatchObject({ ok: true, running: 1 });
      const query = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'query($id: ID!) { run(id: $id) { status } runs(filter: { dataset: { eq: "synthetic-a" } }) { totalCount } }',
          variables: { id },
        }),
        signal: AbortSignal.timeout(20_000),
      });
      expect(((await query.json()) as { data: unknown }).data).toEqual({
        run: { status: 'RUNNING' },
        runs: { totalCount: 15 },
      });
    } finally {
      writeFileSync(join(gate, 'open'), '');
    }
    expect(await statusOf(id, 'FAILED')).toMatchObject({
      status: 'FAILED',
      error: expect.stringContaining('the gate was opened'),
    });
  });

  it('stores a started run that fails while loading as FAILED with its error, and logs one line', async () => {
    const missing = join(tempDir(), 'no-such-folder');
    const spec = {
      model: weights,
      dataset: { name: 'imagefolder', config: { path: missing } },
      strategies: ['lora'],
      attacks: [],
      training: { steps: 2, batchSize: 4, warmupSteps: 0 },
    };
    const started = await gql<{ startRun: { id: string; status: string } }>(
      server.url,
      'mutation($spec: JSON!) { startRun(spec: $spec) { id status } }',
      { spec },
      auth,
    );
    expect(started.errors).toBeUndefined();
    const id = started.data?.startRun.id as string;
    const run = await statusOf(id, 'FAILED');
    expect(run?.status).toBe('FAILED');
    expect(run?.error).toContain('no-such-folder');
    expect(run?.error).not.toContain(missing); // the server's path only to a caller with the token
    const authorized = await gql<{ run: { error: string } }>(
      server.url,
      'query($id: ID!) { run(id: $id) { error } }',
      { id },
      auth,
    );
    expect(authorized.data?.run.error).toContain(missing);
    const lines = server.stderr.split('\n').filter((line) => line.includes(id));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^paretune: run ${id} failed: .*no-such-folder`));
  });
});
