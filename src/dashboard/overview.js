// The landing page: per dataset, its leaderboards (sortable, with their protocol) and their Pareto plots.

import { chart, el, fixed, shortId } from './dom.js';
import { paretoSpec } from './plot-specs.js';

/** The mean correlation of clean accuracy with `kind` (POOLED: all shifts; ROBUST: the board's threat model). */
function correlation(entry, kind, label) {
  const found = entry.correlations.find((c) => c.kind === kind && (label === undefined || c.label === label));
  return found?.pearson ?? null;
}

/** The board's columns: header (and what it means, as its tooltip), the value sorted on, and the cell's text. */
function columns(board) {
  const number = (key, title, hint, digits = 4) => ({
    key,
    title,
    hint,
    value: (e) => e[key],
    text: (e) => fixed(e[key], digits),
  });
  const bestCheckpoint =
    "mean over the entry's runs, at each run's best-validation checkpoint: the model a study reports";
  const onFrontier = "highest on the runs' frontiers over the logged steps (not one model)";
  return [
    { key: 'rank', title: 'rank', value: (e) => e.rank, text: (e) => String(e.rank) },
    { key: 'strategy', title: 'strategy', value: (e) => e.strategy, text: (e) => e.strategy },
    {
      key: 'runs',
      title: 'runs',
      value: (e) => e.runs,
      text: (e) => `${e.runs} (seed${e.seeds.length === 1 ? '' : 's'} ${e.seeds.join(', ')})`,
      links: (e) => e.runIds,
    },
    {
      key: 'aupf',
      title: 'AUPF',
      hint: 'mean area under the Pareto frontier of (clean, robust accuracy) over the runs',
      value: (e) => e.aupf,
      text: (e) => fixed(e.aupf),
      detail: (e) => (e.aupfCi95 ? `95% CI ${fixed(e.aupfCi95.low)}–${fixed(e.aupfCi95.high)}` : null),
    },
    {
      key: 'aboveAverage',
      title: 'vs average',
      hint: "percent above the mean AUPF of the board's entries",
      value: (e) => e.aboveAverage,
      text: (e) => `${e.aboveAverage > 0 ? '+' : ''}${fixed(e.aboveAverage, 1)}%`,
    },
    number('bestCheckpointClean', 'clean (best ckpt)', bestCheckpoint),
    number('bestCheckpointRobust', 'robust (best ckpt)', bestCheckpoint),
    number('frontierBestClean', 'best clean on frontier', onFrontier),
    number('frontierBestRobust', 'best robust on frontier', onFrontier),
    number('trainablePercent', 'trainable %', 'trainable parameters, percent of the total', 2),
    {
      key: 'rShift',
      title: 'r(clean, shifted)',
      hint: 'mean Pearson r over the runs of clean with shifted accuracy (all shifts pooled) over the logged steps',
      value: (e) => correlation(e, 'POOLED'),
      text: (e) => fixed(correlation(e, 'POOLED'), 2),
    },
    {
      key: 'rRobust',
      title: 'r(clean, robust)',
      hint: "mean Pearson r over the runs of clean with robust accuracy (the board's threat model) over the logged steps",
      value: (e) => correlation(e, 'ROBUST', board.threat),
      text: (e) => fixed(correlation(e, 'ROBUST', board.threat), 2),
    },
  ];
}

/** Sorts rows by a column (missing values last), ascending or descending. */
function sortRows(entries, column, ascending) {
  return [...entries].sort((a, b) => {
    const [x, y] = [column.value(a), column.value(b)];
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
    return ascending ? order : -order;
  });
}

function entryRow(entry, cols) {
  return el(
    'tr',
    { 'data-strategy': entry.strategy },
    cols.map((c) => {
      const value = c.value(entry);
      const cell = el('td', { 'data-key': c.key, class: typeof value === 'number' ? 'number' : null });
      cell.append(c.text(entry));
      const detail = c.detail?.(entry);
      if (detail) cell.append(el('div', { class: 'detail' }, detail));
      for (const id of c.links?.(entry) ?? [])
        cell.append(
          el('div', {}, el('a', { href: `#/run/${encodeURIComponent(id)}`, class: 'run-link' }, shortId(id))),
        );
      if (c.key === 'aupf') cell.setAttribute('data-value', String(entry.aupf));
      return cell;
    }),
  );
}

/** A leaderboard table whose column headers sort it (a second click reverses the order). */
function boardTable(board) {
  const cols = columns(board);
  const body = el('tbody');
  const headers = cols.map((c) => el('th', { 'data-key': c.key, scope: 'col', title: c.hint }, c.title));
  let sorted = { key: 'rank', ascending: true };
  const render = () => {
    const column = cols.find((c) => c.key === sorted.key);
    body.replaceChildren(...sortRows(board.entries, column, sorted.ascending).map((e) => entryRow(e, cols)));
    for (const th of headers)
      if (th.dataset.key === sorted.key) th.setAttribute('aria-sort', sorted.ascending ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
  };
  headers.forEach((th) =>
    th.addEventListener('click', () => {
      const key = th.dataset.key;
      sorted = { key, ascending: sorted.key === key ? !sorted.ascending : key === 'rank' || key === 'strategy' };
      render();
    }),
  );
  render();
  return el('table', { class: 'leaderboard' }, el('thead', {}, el('tr', {}, headers)), body);
}

/** The board's protocol: every field its entries share, and what tells entries and boards apart. */
function protocolView(board) {
  const fields = [];
  const walk = (value, path) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      for (const [key, inner] of Object.entries(value)) walk(inner, path === '' ? key : `${path}.${key}`);
    else fields.push(el('dt', {}, path), el('dd', {}, JSON.stringify(value)));
  };
  walk(board.protocol, '');
  return el(
    'details',
    { class: 'protocol' },
    el('summary', {}, `protocol: ${board.model}, accuracy ${board.accuracyVersion ?? 'version not recorded'}`),
    el('p', {}, `entries differ in: ${board.differences.join(', ') || 'nothing'}`),
    board.differsFromOtherBoards.length > 0
      ? el('p', {}, `differs from the dataset's other boards in: ${board.differsFromOtherBoards.join(', ')}`)
      : null,
    el('dl', {}, fields),
  );
}

function boardView(board) {
  const title = `${board.dataset}, ${board.threat}`;
  return el(
    'section',
    { class: 'board-section', 'data-dataset': board.dataset, 'data-threat': board.threat },
    el('h3', {}, `${board.threat} · `, shortId(board.model)),
    protocolView(board),
    el(
      'div',
      { class: 'board' },
      boardTable(board),
      chart(paretoSpec(title, board.threat, board.plot.trajectory, board.plot.frontier), 'pareto'),
    ),
  );
}

function boardsNote(boards) {
  const runs = new Set(boards.flatMap((b) => b.entries.flatMap((e) => e.runIds))).size;
  return `${runs} finished run${runs === 1 ? '' : 's'} on ${boards.length} board${boards.length === 1 ? '' : 's'}`;
}

/** The overview of `loadOverview`'s datasets. */
export function overviewView(datasets) {
  if (datasets.length === 0) return [el('p', { class: 'note' }, 'No finished runs yet.')];
  return datasets.map((d) =>
    el(
      'section',
      { class: 'dataset' },
      el('h2', {}, d.dataset),
      el('p', { class: 'note' }, boardsNote(d.boards)),
      d.boards.map(boardView),
    ),
  );
}
