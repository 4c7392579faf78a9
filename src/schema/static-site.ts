import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execute, parse } from 'graphql';
import type { DocumentNode } from 'graphql';
import type { DependencyContainer } from 'tsyringe';
import { storedLeaderboardJson } from '../core/analysis/leaderboard-export.js';
import { ConfigError } from '../core/contracts/config.js';
import type { RunExecutor } from '../core/execution/executor.js';
import type { PluginRegistry } from '../core/registry/registry.js';
import type { Store } from '../core/store/store.js';
import { answerData, dataFile } from '../dashboard/data.js';
import { loadOverview, loadRun } from '../dashboard/loaders.js';
import { QUERIES } from '../dashboard/queries.js';
import { Api } from './api.js';
import { dashboardAssets } from './dashboard.js';
import { buildApiSchema } from './schema.js';

export interface SiteOptions {
  readonly container: DependencyContainer;
  readonly store: Store;
  readonly registry: PluginRegistry;
  readonly dataDir: string;
  /** The folder to write (created; a site written there before is replaced). */
  readonly dir: string;
  /** Only the runs of this experiment (id or name). */
  readonly experiment?: string;
}

export interface SiteSummary {
  readonly datasets: number;
  readonly boards: number;
  readonly runs: number;
  /** Query answers written as JSON files. */
  readonly answers: number;
}

/** The page's marker of where its data comes from, which a static site's copy says. */
const SERVED_MARKER = '<body data-source="graphql">';

/** The site's leaderboard document (`export --what leaderboard`), for sites that build their own pages. */
export const LEADERBOARD_FILE = 'leaderboard.json';

/** A site only reads: it executes no runs. */
const NO_RUNS: RunExecutor = {
  execute: () => Promise.reject(new ConfigError('a static site executes no runs')),
  concurrency: 1,
  where: 'nowhere (a static site)',
  detached: false,
  close: async () => {},
};

/** Refuses a folder that holds other files than a site written before, which replacing it would delete. */
function prepareDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    const index = join(dir, 'index.html');
    if (!existsSync(index) || !readFileSync(index, 'utf8').includes('data-source="static"'))
      throw new ConfigError(`site folder ${dir} is not empty and holds no paretune site: give a new or empty folder`);
    rmSync(join(dir, 'data'), { recursive: true, force: true });
  }
  mkdirSync(join(dir, 'data'), { recursive: true });
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The dashboard's page and files, the page marked as a static site (of one experiment, if given). */
function writeAssets(dir: string, experiment: string | undefined): void {
  for (const [path, { file }] of dashboardAssets()) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (path !== 'index.html') {
      copyFileSync(file, target);
      continue;
    }
    const page = readFileSync(file, 'utf8');
    if (!page.includes(SERVED_MARKER)) throw new Error(`${file} lacks ${SERVED_MARKER}`);
    const attributes = `data-source="static"${experiment === undefined ? '' : ` data-experiment="${escapeHtml(experiment)}"`}`;
    writeFileSync(target, page.replace(SERVED_MARKER, `<body ${attributes}>`));
  }
}

/**
 * Writes the dashboard as a static site into `dir`: its page and files, and the answers of every query its pages
 * run (the leaderboards and Pareto plots of the overview, and the page of each run on a board), executed here on
 * the API's schema and written where the page reads them (see dataFile); and the leaderboard document of
 * the same runs as leaderboard.json.
 */
export async function writeStaticSite(options: SiteOptions): Promise<SiteSummary> {
  const { store, experiment } = options;
  const experimentId = experiment === undefined ? undefined : store.experimentIdOf(experiment);
  if (experiment !== undefined && experimentId === undefined)
    throw new ConfigError(`--experiment: no experiment '${experiment}' in ${store.file}`);
  const api = new Api({ store, registry: options.registry, dataDir: options.dataDir, executor: NO_RUNS });
  const schema = await buildApiSchema(options.container, api);
  prepareDir(options.dir);
  const documents = new Map<string, DocumentNode>();
  const written = new Set<string>();
  const query = async (name: keyof typeof QUERIES, variables: Record<string, unknown> = {}): Promise<unknown> => {
    let document = documents.get(name);
    if (document === undefined) documents.set(name, (document = parse(QUERIES[name])));
    const result = await execute({
      schema,
      document,
      variableValues: variables,
      contextValue: { authorized: false, api },
    });
    const answer = {
      data: result.data ?? null,
      ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
    };
    const file = dataFile(name, variables);
    mkdirSync(dirname(join(options.dir, file)), { recursive: true });
    writeFileSync(join(options.dir, file), `${JSON.stringify(answer)}\n`);
    written.add(file);
    return answerData(answer, name);
  };
  const datasets = await loadOverview(query, experiment === undefined ? null : { experiment: { eq: experiment } });
  const runIds = [...new Set(datasets.flatMap((d) => d.boards.flatMap((b) => b.entries.flatMap((e) => e.runIds))))];
  for (const id of runIds) await loadRun(query, id);
  const runs = store.listRuns(experimentId === undefined ? {} : { experimentId });
  writeFileSync(join(options.dir, LEADERBOARD_FILE), storedLeaderboardJson(store, runs, options.registry));
  writeAssets(options.dir, experiment);
  return {
    datasets: datasets.length,
    boards: datasets.reduce((n, d) => n + d.boards.length, 0),
    runs: runIds.length,
    answers: written.size,
  };
}
