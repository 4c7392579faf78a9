// What each page of the dashboard shows, loaded through `query(name, variables)` (see data.js). The static site
// calls these same loaders to know which answers to write.

/** @typedef {import('./data.js').Query} Query */

/** The rows of a Pareto plot: each run's trajectory (clean and robust accuracy by step) and its frontier. */
function paretoRows(answers) {
  const trajectory = [];
  const frontier = [];
  for (const { run, frontier: runFrontier } of answers) {
    const robustAt = new Map(run.robust.map((p) => [p.step, p.value]));
    for (const { step, value } of run.clean) {
      const robust = robustAt.get(step);
      if (value !== null && robust !== undefined && robust !== null)
        trajectory.push({ strategy: run.strategy, run: run.id, step, clean: value, robust });
    }
    for (const p of runFrontier.points)
      frontier.push({ strategy: run.strategy, run: run.id, clean: p.values[0], robust: p.values[1] });
  }
  return { trajectory, frontier };
}

/** One board with its plot rows, from the trajectories of the runs its entries pool. */
async function loadBoard(query, board) {
  const ids = board.entries.flatMap((e) => e.runIds);
  const answers = await Promise.all(ids.map((id) => query('trajectory', { id, robust: board.robustContext })));
  return { ...board, plot: paretoRows(answers) };
}

/** The boards of one dataset under one threat model that it measured. */
async function loadThreatBoards(query, dataset, { attack, norm, eps, steps }, filter) {
  const variables = { dataset, attack, norm, eps: eps.label, steps, filter };
  const { leaderboard } = await query('leaderboards', variables);
  return Promise.all(leaderboard.filter((b) => b.entries.length > 0).map((b) => loadBoard(query, b)));
}

/**
 * Every dataset the stored runs measured, with its leaderboards (one per threat model and protocol) and their
 * Pareto plots; `filter` narrows the runs (e.g. one experiment). Datasets without a finished run are left out.
 * @param {Query} query
 * @param {Record<string, unknown> | null} [filter] a RunFilter
 * @returns {Promise<{ dataset: string, boards: { entries: { runIds: string[] }[] }[] }[]>}
 */
export async function loadOverview(query, filter = null) {
  const { measurements } = await query('measurements');
  const datasets = [];
  for (const measured of measurements) {
    const boards = [];
    for (const threat of measured.threatModels)
      boards.push(...(await loadThreatBoards(query, measured.dataset, threat, filter)));
    if (boards.length > 0) datasets.push({ ...measured, boards });
  }
  return datasets;
}

/** A radius as k/255 where it is a whole number of 8-bit levels, else as the number. */
function radiusLabel(eps) {
  const levels = eps * 255;
  return Math.abs(levels - Math.round(levels)) < 1e-9 ? `${Math.round(levels)}/255` : String(eps);
}

/** What a run's chart of a metric context is called: clean, robust under a threat model, or a pooled shift. */
function seriesName({ metric, context }) {
  if (metric === 'loss') return context.split === 'train' ? 'training loss' : undefined;
  if (metric !== 'accuracy' || context.split === undefined) return undefined;
  if (context.attack !== undefined) return `robust (${context.attack} ${context.norm} eps ${radiusLabel(context.eps)})`;
  if (context.shift !== undefined)
    return context.variant === undefined && context.domain === undefined ? `shifted (${context.shift})` : undefined;
  return context.split === 'test' ? 'clean' : undefined;
}

/**
 * A run with its accuracy series (clean, robust, pooled shifted) and its training loss, over the logged steps.
 * @param {Query} query
 * @param {string} id
 */
export async function loadRun(query, id) {
  const { run } = await query('run', { id });
  const wanted = run.metrics.flatMap((m) => {
    const series = seriesName(m);
    return series === undefined ? [] : [{ series, metric: m.metric, context: m.context }];
  });
  const histories = await Promise.all(
    wanted.map((w) => query('history', { id, metric: w.metric, context: w.context })),
  );
  const rows = (metric) =>
    wanted.flatMap((w, i) =>
      w.metric !== metric
        ? []
        : histories[i].run.history
            .filter((p) => p.value !== null)
            .map((p) => ({ series: w.series, step: p.step, value: p.value })),
    );
  return { run, accuracy: rows('accuracy'), loss: rows('loss') };
}

/** Runs queued or running on the server. */
export async function loadActive(query) {
  const { runs } = await query('active');
  return runs.nodes;
}
