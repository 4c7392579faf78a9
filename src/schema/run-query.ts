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
  ((f.eq == null || value === f.eq) &&
    (f.in == null || (value !== null && value !== undefined && f.in.includes(value))) &&
    (f.ne == null || value !== f.ne));

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
    (f.status == null ||
      ((f.status.eq == null || run.status === f.status.eq) &&
        (f.status.in == null || f.status.in.includes(run.status)))) &&
    (f.tags == null ||
      ((f.tags.hasAll ?? []).every((t) => tags.has(t)) &&
        (f.tags.hasAny == null || f.tags.hasAny.some((t) => tags.has(t))))) &&
    (f.seed == null ||
      ((f.seed.eq == null || run.seed === f.seed.eq) &&
        (f.seed.in == null || f.seed.in.includes(run.seed)) &&
        (f.seed.gte == null || run.seed >= f.seed.gte) &&
        (f.seed.lte == null || run.seed <= f.seed.lte))) &&
    (f.createdAt == null ||
      ((f.createdAt.from == null || Date.parse(run.createdAt) >= f.createdAt.from.getTime()) &&
        (f.createdAt.to == null || Date.parse(run.createdAt) <= f.createdAt.to.getTime()))) &&
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
const keyOf = (view: RunView, orderBy: readonly RunOrder[]): Key => [
  ...orderBy.map((o) => sortValue(view, o.field)),
  view.run.id,
];

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

/** An ordering as the API spells it, e.g. `[AUPF ASC, CREATED_AT DESC]`; cursors carry it. */
const orderLabel = (orderBy: readonly RunOrder[]): string =>
  `[${orderBy.map((o) => `${enumName(RunOrderField, o.field)} ${enumName(OrderDirection, o.direction)}`).join(', ')}]`;

const enumName = (values: Record<string, string>, value: string): string =>
  Object.keys(values).find((name) => values[name] === value) ?? value;

const encodeCursor = (order: string, key: Key): string =>
  Buffer.from(JSON.stringify({ order, key })).toString('base64url');

/** The key a cursor holds; refuses one that is not a cursor, or was made under another ordering. */
function decodeCursor(argument: 'after' | 'before', cursor: string, order: string, length: number): Key {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // reported below
  }
  const { order: made, key } = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as {
    order?: unknown;
    key?: unknown;
  };
  const isKey =
    Array.isArray(key) &&
    key.length === length &&
    key.every((v) => v === null || typeof v === 'string' || typeof v === 'number');
  if (typeof made !== 'string' || !isKey) {
    throw new GraphQLError(
      `${argument}: '${cursor}' is not a cursor of this API (cursors come from a previous page's edges or pageInfo)`,
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  if (made !== order) {
    throw new GraphQLError(
      `${argument}: cursor '${cursor}' was made for orderBy ${made}, not ${order}; page with the orderBy of the page it came from`,
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  return key as Key;
}

/** What `runs` and `Experiment.runs` take; an argument given as null counts as not given. */
export interface RunPageRequest {
  readonly filter?: RunFilter | null;
  readonly orderBy?: RunOrder[] | null;
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

/** The page size a request asks for: `first`, else `last`, else 20. */
const pageSize = (args: RunPageRequest): number => args.first ?? args.last ?? 20;

/** The complexity of a page of runs: its size times the cost of one run. */
export const runPageComplexity = ({
  args,
  childComplexity,
}: {
  args: Record<string, unknown>;
  childComplexity: number;
}): number => 1 + Math.min(Number(pageSize(args as RunPageRequest)), MAX_PAGE_SIZE) * childComplexity;

/**
 * One page of runs: filtered, ordered (default: newest first), cut after `after` and before `before` (keyset
 * cursors, so pages stay consistent while runs are added), then the `first` or the `last` of what is left.
 */
export function pageOfRuns(views: readonly RunView[], args: RunPageRequest): RunConnection {
  if (args.first != null && args.last != null)
    throw new GraphQLError('give first or last, not both', { extensions: { code: 'BAD_USER_INPUT' } });
  const size = pageSize(args);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new GraphQLError(
      `${args.last == null ? 'first' : 'last'}: expected 1 to ${MAX_PAGE_SIZE} runs a page, got ${size}`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  const orderBy = args.orderBy?.length
    ? args.orderBy
    : [{ field: RunOrderField.CREATED_AT, direction: OrderDirection.DESC }];
  const order = orderLabel(orderBy);
  const filter = args.filter ?? undefined;
  const matching = views
    .filter((v) => filter === undefined || matches(v, filter))
    .map((view) => ({ view, key: keyOf(view, orderBy) }));
  matching.sort((a, b) => compareKeys(a.key, b.key, orderBy));
  // The window between the cursors: [from, to) in the ordered runs.
  let from = 0;
  let to = matching.length;
  if (args.after != null) {
    const after = decodeCursor('after', args.after, order, orderBy.length + 1);
    const index = matching.findIndex((m) => compareKeys(m.key, after, orderBy) > 0);
    from = index < 0 ? matching.length : index;
  }
  if (args.before != null) {
    const before = decodeCursor('before', args.before, order, orderBy.length + 1);
    const index = matching.findIndex((m) => compareKeys(m.key, before, orderBy) >= 0);
    to = Math.max(from, index < 0 ? matching.length : index);
  }
  if (args.last == null) to = Math.min(to, from + size);
  else from = Math.max(from, to - size);
  const edges = matching.slice(from, to).map((m) => ({ cursor: encodeCursor(order, m.key), node: m.view.run }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    totalCount: matching.length,
    pageInfo: {
      hasNextPage: to < matching.length,
      hasPreviousPage: from > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
