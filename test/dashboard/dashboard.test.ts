import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeasuredPoint } from '../../src/core/evaluation/evaluator.js';
import { accuracyObjectives, runFrontier } from '../../src/core/runs/frontiers.js';
import {
  cliProcess,
  gatedDatasetPackage,
  gql,
  REPO_ROOT,
  seedRuns,
  startGatedRun,
  startServer,
  tempDir,
  tinyCheckpoint,
} from '../helpers/index.js';
import type { SeedRun, ServerProcess } from '../helpers/index.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`dashboard browser tests skipped: no ${CHROMIUM} (apt-get install chromium)`);

/** Where screenshots go: $PARETUNE_ARTIFACTS, else test-artifacts/ in the repository (ignored by git). */
const ARTIFACTS = process.env['PARETUNE_ARTIFACTS'] ?? join(REPO_ROOT, 'test-artifacts');
const TOKEN = 'dashboard-token';
const ROBUST = { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 };

const run = (id: string, strategy: string, seed: number, lift: number, experiment = 'study'): SeedRun => ({
  id,
  strategy,
  dataset: 'synthetic-a',
  seed,
  tags: [],
  experiment,
  trajectory: [
    [0.1, 0.05],
    [0.4 + lift, 0.25 - lift / 2],
    [0.6 + lift, 0.2],
    [0.75 + lift, 0.12 + lift],
    [0.8 + lift, 0.1],
  ],
  corrupted: [0.08, 0.3 + lift, 0.45 + lift, 0.5, 0.62],
  loss: [2.3, 1.6, 1.1, 0.9 - lift, 0.7],
});

/** Two strategies with two seeds each and one with one seed on synthetic-a (experiment 'study'); one run elsewhere. */
const RUNS: SeedRun[] = [
  run('lora-0', 'lora', 0, 0.05),
  run('lora-1', 'lora', 1, 0.07),
  run('bitfit-0', 'bitfit', 0, 0.0),
  run('bitfit-1', 'bitfit', 1, 0.01),
  run('full-0', 'full', 0, 0.1),
  { ...run('other-0', 'lora', 0, 0.02, 'other'), dataset: 'synthetic-b' },
];

/** The AUPF of a seeded run, computed here from its trajectory as a run computes its frontier. */
function aupf({ trajectory }: SeedRun): number {
  const points: MeasuredPoint[] = trajectory.flatMap(([clean, robust], step) => [
    { step, epoch: 0, name: 'accuracy', context: { split: 'test' }, value: clean, count: 100, seconds: 0 },
    { step, epoch: 0, name: 'accuracy', context: ROBUST, value: robust, count: 100, seconds: 0 },
  ]);
  return runFrontier(points, accuracyObjectives(ROBUST)).hypervolume;
}

/** The synthetic-a board: strategies by mean AUPF, best first. */
const EXPECTED = ['lora', 'bitfit', 'full']
  .map((strategy) => {
    const runs = RUNS.filter((r) => r.strategy === strategy && r.dataset === 'synthetic-a');
    return { strategy, aupf: runs.reduce((sum, r) => sum + aupf(r), 0) / runs.length };
  })
  .sort((a, b) => b.aupf - a.aupf);

/** Serves a folder over HTTP as any static web server would (the browser refuses ES modules from file://). */
async function serveFolder(dir: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.json': 'application/json',
  };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

let browser: Browser | undefined;
let server: ServerProcess;
let db: string;
let weights: string;

beforeAll(async () => {
  const dir = tempDir();
  db = join(dir, 'dashboard.db');
  seedRuns(db, RUNS);
  weights = await tinyCheckpoint(dir);
  if (hasChromium) mkdirSync(ARTIFACTS, { recursive: true });
  [browser, server] = await Promise.all([
    hasChromium ? launchChromium() : undefined,
    startServer(['--plugin', gatedDatasetPackage(), 'serve', '--port', '0', '--db', db], { PARETUNE_API_TOKEN: TOKEN }),
  ]);
}, 120_000);

/** Debian's Chromium, headless, with nothing that reaches out to the network (which would stall it offline). */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

afterAll(async () => {
  await Promise.all([browser?.close(), server?.stop()]);
});

/**
 * A page that records what it requested and the errors it threw; `origin` is the only host it may ask.
 */
async function openPage(url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  if (browser === undefined) throw new Error('no browser');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('#view[data-ready="true"]');
  return { page, requests, errors };
}

/** The rows of a dataset's first board: strategy, AUPF text and AUPF value. */
async function boardRows(page: Page, dataset: string): Promise<{ strategy: string; text: string; value: number }[]> {
  const rows = page.locator(`section.board-section[data-dataset="${dataset}"] table.leaderboard tbody tr`);
  return rows.evaluateAll((trs) =>
    trs.map((tr) => {
      const aupfCell = tr.querySelector('td[data-key="aupf"]');
      return {
        strategy: tr.getAttribute('data-strategy') as string,
        text: aupfCell?.textContent as string,
        value: Number(aupfCell?.getAttribute('data-value')),
      };
    }),
  );
}

/** Marks drawn in a chart's SVG (not its legend's): line paths and point symbols. */
async function drawnMarks(page: Page, chart: string): Promise<{ lines: number; points: number }> {
  const svg = page.locator(`.chart.${chart}[data-drawn="true"] svg`).first();
  await svg.waitFor();
  return {
    lines: await svg.locator('.mark-line.role-mark path').count(),
    points: await svg.locator('.mark-symbol.role-mark path').count(),
  };
}

/** The leaderboard, plot and run page assertions that hold for the served dashboard and the static site alike. */
async function expectBoardsAndRunPage(page: Page, name: string): Promise<void> {
  const rows = await boardRows(page, 'synthetic-a');
  expect(rows.map((r) => r.strategy)).toEqual(EXPECTED.map((e) => e.strategy));
  rows.forEach((row, i) => {
    const expected = EXPECTED[i]?.aupf as number;
    expect(row.value).toBeCloseTo(expected, 12);
    expect(row.text.startsWith(expected.toFixed(4))).toBe(true);
  });
  const section = page.locator('section.board-section[data-dataset="synthetic-a"]');
  const boards = await gql<{ leaderboard: { protocol: { model: string }; differences: string[] }[] }>(
    server.url,
    '{ leaderboard(dataset: "synthetic-a") { protocol differences } }',
  );
  const board = boards.data?.leaderboard[0];
  expect(board?.protocol.model).toBe('vit-micro-28');
  const protocol = await section.locator('.protocol').textContent();
  expect(protocol).toContain(`entries differ in: ${board?.differences.join(', ')}`);
  expect(protocol).toContain('model"vit-micro-28"'); // the protocol's fields: model, then its value
  // A trajectory and a frontier line for each of the 5 runs; each trajectory's 5 points and the frontiers' points.
  const pareto = await drawnMarks(page, 'pareto');
  expect(pareto.lines).toBe(2 * 5);
  expect(pareto.points).toBeGreaterThan(5 * 5);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-leaderboard.png`), fullPage: true });

  // Sorting by strategy name, then the other way round.
  const strategyHeader = section.locator('th[data-key="strategy"]');
  await strategyHeader.click();
  expect((await boardRows(page, 'synthetic-a')).map((r) => r.strategy)).toEqual(['bitfit', 'full', 'lora']);
  await expect(strategyHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
  await strategyHeader.click();
  expect((await boardRows(page, 'synthetic-a')).map((r) => r.strategy)).toEqual(['lora', 'full', 'bitfit']);
  await section.locator('th[data-key="aupf"]').click(); // highest first
  expect((await boardRows(page, 'synthetic-a')).map((r) => r.strategy)).toEqual(EXPECTED.map((e) => e.strategy));

  await section.locator('a.run-link', { hasText: 'lora-1' }).click();
  await page.waitForSelector('#view[data-page="run"][data-ready="true"]');
  await expect(page.locator('h2[data-run]').textContent()).resolves.toBe('Run lora-1');
  const accuracy = await drawnMarks(page, 'accuracy');
  expect(accuracy.lines).toBe(3); // clean, robust, shifted
  expect(accuracy.points).toBe(3 * 5);
  const legend = await page.locator('.chart.accuracy svg .role-legend').textContent();
  for (const series of ['clean', 'robust (pgd Linf eps 1/255)', 'shifted (corruptions)'])
    expect(legend).toContain(series);
  expect(await drawnMarks(page, 'loss')).toEqual({ lines: 1, points: 5 });
  const kinds = await page
    .locator('table.correlations tr[data-kind]')
    .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-kind'), tr.querySelectorAll('td')[2]?.textContent]));
  const api = await gql<{ run: { correlations: { kind: string; pearson: number }[] } }>(
    server.url,
    '{ run(id: "lora-1") { correlations { kind pearson } } }',
  );
  expect(kinds).toEqual(api.data?.run.correlations.map((c) => [c.kind, c.pearson.toFixed(3)]));
  expect(kinds.map(([kind]) => kind)).toEqual(expect.arrayContaining(['POOLED', 'SHIFT', 'ROBUST']));
  await page.screenshot({ path: join(ARTIFACTS, `${name}-run.png`), fullPage: true });
}

describe('the dashboard over HTTP', () => {
  const origin = (): string => server.url.replace(/\/graphql$/, '');

  it('answers / with its page, with an entity tag and a 304 for a client that holds it', async () => {
    const page = await fetch(`${origin()}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('public, max-age=5');
    expect(server.stdout).toContain(`\ndashboard at ${origin()}/\n`);
    expect(await page.text()).toContain('<script type="module" src="dashboard/app.js"></script>');
    const again = await fetch(`${origin()}/`, { headers: { 'if-none-match': page.headers.get('etag') as string } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it("serves every file the page names from the server itself (no other host), vega's from its package", async () => {
    const html = await (await fetch(`${origin()}/`)).text();
    const named = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(named.filter((path) => /^[a-z]+:|^\/\//.test(path))).toEqual([]);
    expect(named).toContain('dashboard/vendor/vega.min.js');
    for (const path of named.filter((p) => !p.startsWith('#'))) {
      const file = await fetch(`${origin()}/${path}`);
      expect([path, file.status]).toEqual([path, 200]);
      expect(file.headers.get('content-type')).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(file.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    }
    const vega = await (await fetch(`${origin()}/dashboard/vendor/vega.min.js`)).text();
    expect(vega).toBe(readFileSync(join(REPO_ROOT, 'node_modules/vega/build/vega.min.js'), 'utf8'));
  });

  it('answers an unknown path with a 404 that says where the dashboard and the API are', async () => {
    const missing = await fetch(`${origin()}/dashboard/nothing.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      errors: [
        {
          message:
            "no such path '/dashboard/nothing.js': the dashboard is at /, the API at /graphql (its schema at GET /schema.graphql)",
          extensions: { code: 'NOT_FOUND' },
        },
      ],
    });
  });
});

describe('paretune site refuses', () => {
  it('an experiment the database does not hold, naming it', async () => {
    const result = await cliProcess(['site', join(tempDir(), 'site'), '--experiment', 'nope', '--db', db], tempDir());
    expect(result).toMatchObject({ code: 1, stderr: `paretune: --experiment: no experiment 'nope' in ${db}\n` });
  });

  it('a folder holding other files, which replacing a site would delete', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const result = await cliProcess(['site', dir, '--db', db], tempDir());
    expect(result).toMatchObject({
      code: 1,
      stderr: `paretune: site folder ${dir} is not empty and holds no paretune site: give a new or empty folder\n`,
    });
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('nothing when the folder holds a site it wrote before: that site is replaced, by the same files', async () => {
    const dir = join(tempDir(), 'site');
    const first = await cliProcess(['site', dir, '--db', db], tempDir());
    expect(first.stdout).toContain('2 leaderboards on 2 datasets, 6 run pages');
    const second = await cliProcess(['site', dir, '--experiment', 'study', '--db', db], tempDir());
    expect(second.code).toBe(0);
    // The answers of the first site that the second has no use for are gone.
    const answers = readdirSync(join(dir, 'data'), { recursive: true }).filter((f) => String(f).endsWith('.json'));
    expect(second.stdout).toContain(`1 leaderboard on 1 dataset, 5 run pages, ${answers.length} query answers`);
    // The same database gives the same site, byte for byte (a site can be committed and diffed).
    const again = join(tempDir(), 'site');
    await cliProcess(['site', again, '--experiment', 'study', '--db', db], tempDir());
    const files = (root: string): Record<string, string> =>
      Object.fromEntries(
        readdirSync(root, { recursive: true })
          .map(String)
          .filter((f) => statSync(join(root, f)).isFile())
          .sort()
          .map((f) => [f, readFileSync(join(root, f), 'utf8')]),
      );
    expect(files(again)).toEqual(files(dir));
    // Its leaderboard document is that of `export --what leaderboard` for the same runs.
    const exported = await cliProcess(
      ['export', '--what', 'leaderboard', '--format', 'json', '--experiment', 'study', '--db', db],
      tempDir(),
    );
    expect(exported.code).toBe(0);
    expect(readFileSync(join(dir, 'leaderboard.json'), 'utf8')).toBe(exported.stdout);
    expect(JSON.parse(exported.stdout).entries.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasChromium)('the dashboard in headless Chromium', () => {
  it('paretune serve answers / with leaderboards, Pareto plots and run pages, all from its own origin', async () => {
    const origin = server.url.replace(/\/graphql$/, '');
    const { page, requests, errors } = await openPage(`${origin}/`);
    try {
      await expect(page.locator('#source').textContent()).resolves.toContain('live from');
      await expectBoardsAndRunPage(page, 'served');
      expect(requests.filter((url) => !url.startsWith(origin))).toEqual([]);
      expect(requests.some((url) => url.startsWith(`${origin}/graphql?`))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("shows one experiment's boards for /?experiment=<name>", async () => {
    const origin = server.url.replace(/\/graphql$/, '');
    const { page, errors } = await openPage(`${origin}/?experiment=other`);
    try {
      await expect(page.locator('#source').textContent()).resolves.toContain('experiment other');
      const datasets = await page
        .locator('section.board-section')
        .evaluateAll((s) => s.map((e) => e.getAttribute('data-dataset')));
      expect(datasets).toEqual(['synthetic-b']);
      expect((await boardRows(page, 'synthetic-b')).map((r) => r.strategy)).toEqual(['lora']);
      // A point of the plot opens its run.
      await page.locator('.chart.pareto[data-drawn="true"] .mark-symbol.role-mark path').last().click({ force: true });
      await page.waitForSelector('#view[data-page="run"][data-ready="true"]');
      await expect(page.locator('h2[data-run]').textContent()).resolves.toBe('Run other-0');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows a started run live, over graphql-ws, until it ends', async () => {
    const origin = server.url.replace(/\/graphql$/, '');
    const { page, errors } = await openPage(`${origin}/`);
    const gate = tempDir();
    try {
      const id = await startGatedRun(server.url, weights, gate, { authorization: `Bearer ${TOKEN}` });
      const status = page.locator(`#live tr[data-run="${id}"] td[data-key="status"]`);
      await status.filter({ hasText: /^RUNNING$/ }).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'served-live.png') });
      writeFileSync(join(gate, 'open'), '');
      await status.filter({ hasText: /^FAILED: .*the gate was opened/ }).waitFor({ timeout: 30_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('paretune site writes the same boards and run pages as a static site, of one experiment', async () => {
    const dir = join(tempDir(), 'site');
    const written = await cliProcess(['site', dir, '--experiment', 'study', '--db', db], tempDir());
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(
      /^wrote a static site to .*: 1 leaderboard on 1 dataset, 5 run pages, \d+ query answers\n/,
    );
    const { url, server: site } = await serveFolder(dir);
    const { page, requests, errors } = await openPage(url);
    try {
      await expect(page.locator('#source').textContent()).resolves.toBe('static snapshot of experiment study');
      // The other experiment's dataset is not on the site.
      await expect(page.locator('section.board-section[data-dataset="synthetic-b"]').count()).resolves.toBe(0);
      await expect(page.locator('#live').isHidden()).resolves.toBe(true);
      await expectBoardsAndRunPage(page, 'static');
      expect(requests.filter((r) => !r.startsWith(url))).toEqual([]);
      expect(requests.some((r) => r.includes('graphql?'))).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      site.close();
    }
  });
});
