import { GraphQLError } from 'graphql';
import type { RunSummary as Summary } from '../core/runs/summary.js';
import type { RunFilter, RunOrder, StringFilter } from './inputs.js';
import { OrderDirection, RunOrderField } from './inputs.js';
import type { Run, RunConnection } from './types.js';

/** A run with what filters and orderings read: its summary and its experiment's name. */
export interface RunView {
  readonly run: Run;
  readonly summary: Summary;
  readonly experimentName?: string;
}

/** The largest page `runs(first:)` returns. */
export const MAX_PAGE_SIZE = 100;

const text = (value: string | null | undefined, f: StringFilter | null | undefined): boolean =>
  f == null ||
  ((f.eq == null || value === f.eq) && (f.in == null || (value !== null && value !== undefined && f.in.includes(value))) && (f.ne == null || value !== f.ne));

/** An experiment goes by its id or its name: `eq` and `in` accept either, `ne` refuses both. */
const experiment = (view: RunView, f: StringFilter): boolean => {
  const names = [view.run.experimentId, view.experimentName];
  const { ne, ...positive } = f;
  return names.some((name) => text(name, positive)) && (ne == null || !names.includes(ne));
};

/** Whether a run matches a filter: every condition given must hold; AND, OR and NOT nest; null counts as not given. */
export function matches(view: RunView, f: RunFilter): boolean {
  const { run, summary } = view;
  const tags = new Set(run.tags);
  return (
    (f.AND == null || f.AND.every((g) => matches(view, g))) &&
    (f.OR == null || f.OR.some((g) => matches(view, g))) &&
    (f.NOT == null || !matches(view, f.NOT)) &&
    (f.ids == null || f.ids.includes(run.id)) &&
    (f.experiment == null || experiment(view, f.experiment)) &&
    text(run.strategy, f.strategy) &&
    text(run.dataset, f.dataset) &&
    text(run.model, f.model) &&
    (f.status == null || ((f.status.eq == null || run.status === f.status.eq) && (f.status.in == null || f.status.in.includes(run.status)))) &&
    (f.tags == null || ((f.tags.hasAll ?? []).every((t) => tags.has(t)) && (f.tags.hasAny == null || f.tags.hasAny.some((t) => tags.has(t))))) &&
    (f.seed == null ||
      ((f.seed.eq == null || run.seed === f.seed.eq) &&
        (f.seed.in == null || f.seed.in.includes(run.seed)) &&
        (f.seed.gte == null || run.seed >= f.seed.gte) &&
        (f.seed.lte == null || run.seed <= f.seed.lte))) &&
    (f.createdAt == null ||
      ((f.createdAt.from == null || Date.parse(run.createdAt) >= f.createdAt.from.getTime()) && (f.createdAt.to == null || Date.parse(run.createdAt) <= f.createdAt.to.getTime()))) &&
    (f.metrics ?? []).every(({ metric, gte, lte }) => {
      const value = summary[metric];
      return value !== undefined && (gte == null || value >= gte) && (lte == null || value <= lte);
    })
  );
}

type Key = (string | number | null)[];

function sortValue(view: RunView, field: RunOrderField): string | number | null {
  switch (field) {
    case RunOrderField.CREATED_AT:
      return view.run.createdAt;
    case RunOrderField.FINISHED_AT:
      return view.run.finishedAt;
    case RunOrderField.SECONDS:
      return view.run.seconds;
    case RunOrderField.SEED:
      return view.run.seed;
    case RunOrderField.STRATEGY:
      return view.run.strategy;
    case RunOrderField.DATASET:
      return view.run.dataset;
    default:
      return view.summary[field] ?? null;
  }
}

/** The sort key of a run: its order fields, then its id (so that every key is unique). */
const keyOf = (view: RunView, orderBy: readonly RunOrder[]): Key => [...orderBy.map((o) => sortValue(view, o.field)), view.run.id];

/** Compares keys field by field; missing values sort last in both directions; the id breaks ties ascending. */
function compareKeys(a: Key, b: Key, orderBy: readonly RunOrder[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = x < y ? -1 : 1;
    return i < orderBy.length && orderBy[i]?.direction === OrderDirection.DESC ? -order : order;
  }
  return 0;
}

const encodeCursor = (key: Key): string => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeCursor(cursor: string, length: number): Key {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === length && key.every((v) => v === null || typeof v === 'string' || typeof v === 'number')) return key as Key;
  } catch {
    // reported below
  }
  throw new GraphQLError(`after: '${cursor}' is not a cursor of this ordering (cursors come from a previous page with the same orderBy)`, { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * One page of runs: filtered, ordered (default: newest first), and cut after `after` (a keyset cursor, so pages
 * stay consistent while runs are added).
 */
/** Arguments as GraphQL passes them: an argument given as null counts as not given. */
export function pageOfRuns(views: readonly RunView[], args: { filter?: RunFilter | null; orderBy?: RunOrder[] | null; first?: number; after?: string | null }): RunConnection {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new GraphQLError(`first: expected 1 to ${MAX_PAGE_SIZE} runs a page, got ${first}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  const orderBy = args.orderBy?.length ? args.orderBy : [{ field: RunOrderField.CREATED_AT, direction: OrderDirection.DESC }];
  const filter = args.filter ?? undefined;
  const matching = views.filter((v) => filter === undefined || matches(v, filter)).map((view) => ({ view, key: keyOf(view, orderBy) }));
  matching.sort((a, b) => compareKeys(a.key, b.key, orderBy));
  const start = args.after == null ? 0 : (() => {
    const after = decodeCursor(args.after, orderBy.length + 1);
    const index = matching.findIndex((m) => compareKeys(m.key, after, orderBy) > 0);
    return index < 0 ? matching.length : index;
  })();
  const edges = matching.slice(start, start + first).map((m) => ({ cursor: encodeCursor(m.key), node: m.view.run }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    totalCount: matching.length,
    pageInfo: { hasNextPage: start + first < matching.length, hasPreviousPage: start > 0, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
