// Vega-Lite specs of paretune's plots, shared by the PNG/SVG plots that experiments write and by the dashboard, so
// that both draw the same charts. Plain data in, specs out: no imports, so that browsers load this file as it is.

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const color = { field: 'strategy', type: 'nominal', title: 'strategy' };

/**
 * Clean vs robust accuracy: every run's trajectory over the logged steps faint, its frontier bold, coloured by
 * strategy.
 * @param {string} title the dataset (and board) the plot is of
 * @param {string} threatText the robust accuracy's threat model, e.g. 'pgd Linf eps 1/255'
 * @param {Record<string, unknown>[]} trajectory rows { strategy, run, step, clean, robust }
 * @param {Record<string, unknown>[]} frontier rows { strategy, run, clean, robust }
 * @returns {import('vega-lite').TopLevelSpec}
 */
export function paretoSpec(title, threatText, trajectory, frontier) {
  return {
    $schema: SCHEMA,
    title: `${title}: clean vs robust accuracy (trajectories faint, frontiers bold)`,
    config: { legend: { symbolOpacity: 1 } },
    width: 420,
    height: 320,
    layer: [
      {
        data: { values: trajectory },
        mark: { type: 'line', opacity: 0.3, point: { opacity: 0.3, size: 12 } },
        encoding: {
          x: { field: 'clean', type: 'quantitative', title: 'test accuracy' },
          y: { field: 'robust', type: 'quantitative', title: `robust accuracy (${threatText})` },
          color,
          detail: { field: 'run' },
          order: { field: 'step' },
        },
      },
      {
        data: { values: frontier },
        mark: { type: 'line', strokeWidth: 3, point: { size: 40 } },
        encoding: {
          x: { field: 'clean', type: 'quantitative' },
          y: { field: 'robust', type: 'quantitative' },
          color,
          detail: { field: 'run' },
          order: { field: 'clean' },
        },
      },
    ],
  };
}

/**
 * Clean, robust and shifted accuracy of a dataset's runs over the steps, one panel each.
 * @param {string} dataset
 * @param {Record<string, unknown>[]} curves rows { strategy, run, step, measure, accuracy }
 * @returns {import('vega-lite').TopLevelSpec}
 */
export function curvesSpec(dataset, curves) {
  return {
    $schema: SCHEMA,
    title: `${dataset}: accuracy during fine-tuning`,
    data: { values: curves },
    mark: { type: 'line', point: { size: 12 } },
    encoding: {
      x: { field: 'step', type: 'quantitative' },
      y: { field: 'accuracy', type: 'quantitative' },
      color,
      detail: { field: 'run' },
      column: { field: 'measure', type: 'nominal', title: null, sort: ['clean', 'robust', 'shifted'] },
    },
    width: 220,
    height: 180,
  };
}

/**
 * One run's series over the steps, one line each: its clean, robust and shifted accuracies, or its loss.
 * @param {string} title
 * @param {string} quantity the y axis title, e.g. 'accuracy'
 * @param {Record<string, unknown>[]} rows { series, step, value }
 * @returns {import('vega-lite').TopLevelSpec}
 */
export function seriesSpec(title, quantity, rows) {
  return {
    $schema: SCHEMA,
    title,
    data: { values: rows },
    mark: { type: 'line', point: { size: 16 } },
    encoding: {
      x: { field: 'step', type: 'quantitative' },
      y: { field: 'value', type: 'quantitative', title: quantity },
      color: { field: 'series', type: 'nominal', title: null },
    },
    width: 480,
    height: 220,
  };
}
