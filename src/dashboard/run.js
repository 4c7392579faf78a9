// A run's page: what it is, its headline numbers, its accuracies and loss over the steps, and how its clean
// accuracy correlates with its shifted and robust accuracies.

import { chart, el, fixed } from './dom.js';
import { seriesSpec } from './plot-specs.js';

function facts(run) {
  const rows = [
    ['status', run.status],
    ['strategy', run.strategy],
    ['dataset', run.dataset],
    ['seed', run.seed],
    ['model', run.modelName ?? run.model ?? '–'],
    ['backend', run.backend ?? '–'],
    ['paretune', run.paretuneVersion ?? '–'],
    ['tags', run.tags.join(', ') || '–'],
    ['created', run.createdAt],
    ['finished', run.finishedAt ?? '–'],
    ['best step / last step', `${run.bestStep ?? '–'} / ${run.lastStep ?? '–'}`],
    ['seconds', run.seconds === null ? '–' : run.seconds.toFixed(1)],
  ];
  if (run.error !== null) rows.push(['error', run.error]);
  return el(
    'table',
    { class: 'facts' },
    rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))),
  );
}

function summary(run) {
  const s = run.summary;
  const numbers = [
    ['test accuracy', s.testAccuracy],
    ['robust accuracy', s.robustAccuracy],
    ['shifted accuracy', s.shiftedAccuracy],
    ['AUPF', s.aupf],
    ['trainable %', s.trainablePercent],
  ];
  return el(
    'table',
    { class: 'summary' },
    el('caption', {}, 'at the best-validation checkpoint'),
    numbers.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { class: 'number', 'data-key': k }, fixed(v)))),
  );
}

function correlations(run) {
  if (run.correlations.length === 0) return el('p', { class: 'note' }, 'No correlations: too few logged steps.');
  return el(
    'table',
    { class: 'correlations' },
    el('caption', {}, 'correlation over the logged steps of clean test accuracy with'),
    el(
      'tr',
      {},
      ['', 'kind', 'Pearson r', 'Spearman ρ', 'steps'].map((h) => el('th', {}, h)),
    ),
    run.correlations.map((c) =>
      el(
        'tr',
        { 'data-kind': c.kind },
        el('td', {}, c.label),
        el('td', {}, c.kind.toLowerCase()),
        el('td', { class: 'number' }, fixed(c.pearson, 3)),
        el('td', { class: 'number' }, fixed(c.spearman, 3)),
        el('td', { class: 'number' }, c.steps),
      ),
    ),
  );
}

/** The page of `loadRun`'s answer. */
export function runView({ run, accuracy, loss }) {
  const title = `${run.strategy} on ${run.dataset}, seed ${run.seed}`;
  return [
    el('p', {}, el('a', { href: '#/' }, '← leaderboards')),
    el('h2', { 'data-run': run.id }, `Run ${run.id}`),
    el('p', { class: 'note' }, title),
    el('div', { class: 'board' }, facts(run), summary(run)),
    accuracy.length > 0
      ? chart(seriesSpec(`${title}: accuracy`, 'accuracy', accuracy), 'accuracy')
      : el('p', { class: 'note' }, 'No accuracy logged yet.'),
    loss.length > 0 ? chart(seriesSpec(`${title}: training loss`, 'loss', loss), 'loss') : null,
    el('h3', {}, 'Clean accuracy against shift and robustness'),
    correlations(run),
  ];
}
