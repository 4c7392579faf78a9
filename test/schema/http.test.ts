import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { gql, REPO_ROOT, seedRuns, startServer, tempDir } from '../helpers/index.js';
import type { SeedRun, ServerProcess } from '../helpers/index.js';

/** 12 stored runs, the first 8 in experiment `study`. */
const SEEDED: SeedRun[] = Array.from({ length: 12 }, (_, i) => ({
  id: `run-${String(i).padStart(2, '0')}`,
  strategy: ['lora', 'bitfit', 'full'][i % 3] as string,
  dataset: 'synthetic',
  seed: i,
  tags: [],
  trajectory: [
    [0.1, 0.05],
    [0.5 + i / 100, 0.3 - i / 100],
  ],
  ...(i < 8 ? { experiment: 'study' } : {}),
}));

let server: ServerProcess;
let db: string;

beforeAll(async () => {
  db = join(tempDir(), 'http.db');
  seedRuns(db, SEEDED);
  server = await startServer(['serve', '--port', '0', '--db', db]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const HISTORY = 'query($id: ID!) { run(id: $id) { id history(samples: 10) { step value } } }';
const getUrl = (query: string, variables: object): string =>
  `${server.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;

describe('HTTP caching', () => {
  it('tags GET answers by database state: If-None-Match answers 304 until the database changes (also from another process)', async () => {
    const url = getUrl(HISTORY, { id: 'run-03' });
    const first = await fetch(url);
    const tag = first.headers.get('etag');
    expect(first.status).toBe(200);
    expect(tag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
    expect(first.headers.get('vary')).toContain('authorization');
    const body = await first.text();

    const again = await fetch(url, { headers: { 'if-none-match': `"other", W/${tag}` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(tag);
    // another variable is another answer
    expect(
      (await fetch(getUrl(HISTORY, { id: 'run-04' }), { headers: { 'if-none-match': tag as string } })).status,
    ).toBe(200);

    // a point written by another process: the old tag no longer matches and the answer has the new point
    const store = Store.open(db);
    store.recordPoints('run-03', [
      { step: 99, epoch: 0, name: 'accuracy', context: { split: 'test' }, value: 0.99, count: 100, seconds: 0.1 },
    ]);
    store.close();
    const changed = await fetch(url, { headers: { 'if-none-match': tag as string } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
    const text = await changed.text();
    expect(text).not.toBe(body);
    expect((JSON.parse(text) as { data: { run: { history: { step: number }[] } } }).data.run.history.at(-1)?.step).toBe(
      99,
    );
  });

  it('answers a repeated POST query alike, and never caches errors or mutations', async () => {
    const answers = await Promise.all([0, 1, 2].map(() => gql(server.url, HISTORY, { id: 'run-05' })));
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const missing = await fetch(getUrl(HISTORY, { id: 'none' }));
    expect(missing.headers.get('etag')).toBeNull();
    // which dataset files are on disk is no part of the database
    expect((await fetch(getUrl('{ datasets { name available } }', {}))).headers.get('etag')).toBeNull();
    const mutation = await gql(server.url, 'mutation { deleteRun(id: "run-11") }');
    expect(mutation.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('serves the SDL at GET /schema.graphql, with an entity tag', async () => {
    const response = await fetch(server.url.replace(/\/graphql$/, '/schema.graphql'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(`${await response.text()}\n`).toBe(readFileSync(join(REPO_ROOT, 'schema.graphql'), 'utf8'));
    const tag = response.headers.get('etag') as string;
    expect(
      (await fetch(server.url.replace(/\/graphql$/, '/schema.graphql'), { headers: { 'if-none-match': tag } })).status,
    ).toBe(304);
  });
});

type Page = {
  runs: {
    edges: { cursor: string; node: { id: string } }[];
    pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null };
  };
};
const PAGE =
  'query($last: Int, $before: String, $first: Int, $after: String, $orderBy: [RunOrder!]) { runs(last: $last, before: $before, first: $first, after: $after, orderBy: $orderBy) { edges { cursor node { id } } pageInfo { hasPreviousPage hasNextPage startCursor } } }';

describe('paging runs', () => {
  it('walks every run backwards with last and before', async () => {
    const orderBy = [{ field: 'SEED', direction: 'ASC' }];
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const response: Awaited<ReturnType<typeof gql<Page>>> = await gql<Page>(server.url, PAGE, {
        last: 5,
        before,
        orderBy,
      });
      expect(response.errors).toBeUndefined();
      const runs = response.data?.runs;
      seen.unshift(...(runs?.edges.map((e) => e.node.id) ?? []));
      if (!runs?.pageInfo.hasPreviousPage) break;
      before = runs.pageInfo.startCursor;
    }
    expect(seen).toEqual(SEEDED.map((r) => r.id));
    const both = await gql(server.url, PAGE, { first: 2, last: 2 });
    expect(both.errors?.[0]?.message).toBe('give first or last, not both');
  });

  it('refuses a cursor under another orderBy, naming the cursor and both orders', async () => {
    const bySeed = await gql<Page>(server.url, PAGE, { first: 3, orderBy: [{ field: 'SEED', direction: 'ASC' }] });
    const cursor = bySeed.data?.runs.edges.at(-1)?.cursor as string;
    const mixed = await gql<Page>(server.url, PAGE, {
      first: 3,
      after: cursor,
      orderBy: [{ field: 'STRATEGY', direction: 'DESC' }],
    });
    expect(mixed.data ?? null).toBeNull();
    expect(mixed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(mixed.errors?.[0]?.message).toBe(
      `after: cursor '${cursor}' was made for orderBy [SEED ASC], not [STRATEGY DESC]; page with the orderBy of the page it came from`,
    );
  });

  it('filters, orders and pages the runs of an experiment as runs does', async () => {
    const response = await gql<{ experiment: { runs: { nodes: { id: string }[]; totalCount: number } } }>(
      server.url,
      '{ experiment(id: "study") { runs(filter: { strategy: { ne: "full" } }, orderBy: [{ field: SEED, direction: DESC }], last: 3) { totalCount nodes { id } } } }',
    );
    expect(response.errors).toBeUndefined();
    const expected = SEEDED.filter((r) => r.experiment === 'study' && r.strategy !== 'full')
      .map((r) => r.id)
      .reverse();
    expect(response.data?.experiment.runs.totalCount).toBe(expected.length);
    expect(response.data?.experiment.runs.nodes.map((r) => r.id)).toEqual(expected.slice(-3));
  });
});
