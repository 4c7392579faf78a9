import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { MetricContext } from '../contracts/metric.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { canonicalJson } from '../evaluation/context.js';
import type { RunRecord } from '../store/store.js';
import { runFrontier, runObjectives, threatLabel } from './frontiers.js';
import type { ThreatSelector } from './frontiers.js';
import { makeDir } from '../user-files.js';
import { curvesSpec, paretoSpec } from '../../dashboard/plot-specs.js';

/** Renders a Vega-Lite spec to SVG (Vega's headless renderer) and PNG (sharp/librsvg); returns both paths. */
async function render(spec: TopLevelSpec, base: string): Promise<string[]> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(`${base}.svg`, svg);
  await sharp(Buffer.from(svg), { density: 144 }).png().toFile(`${base}.png`);
  return [`${base}.svg`, `${base}.png`];
}

export interface PlotOptions {
  /** The robust accuracy to plot (default: each run's own frontier's); the file names then carry its label. */
  readonly threat?: ThreatSelector;
}

type Row = Record<string, unknown>;
type Plotted = {
  run: RunRecord;
  points: readonly MeasuredPoint[];
  objectives: NonNullable<ReturnType<typeof runObjectives>>;
};

/** Accuracy at one step: clean and robust (the run's objectives) and pooled shifted accuracy. */
type StepAccuracy = { clean?: number; robust?: number; shifted?: number };

function accuracyBySteps({ points, objectives }: Plotted): [number, StepAccuracy][] {
  const [clean, robust] = objectives.map((o) => o.context ?? '');
  const byStep = new Map<number, StepAccuracy>();
  for (const p of points) {
    if (p.name !== 'accuracy' || p.context['checkpoint'] !== undefined) continue;
    const key = canonicalJson(p.context);
    const entry = byStep.get(p.step) ?? {};
    if (key === clean) entry.clean = p.value;
    else if (key === robust) entry.robust = p.value;
    // Pooled shifted accuracy: out-of-distribution domains together, or every corruption together.
    else if (
      p.context['shift'] !== undefined &&
      p.context['variant'] === undefined &&
      p.context['domain'] === undefined
    )
      entry.shifted = p.value;
    byStep.set(p.step, entry);
  }
  return [...byStep].sort((a, b) => a[0] - b[0]);
}

/** The plotted rows of one dataset's runs: trajectories, frontiers, and accuracy curves. */
function plotRows(members: readonly Plotted[]): { trajectory: Row[]; frontier: Row[]; curves: Row[] } {
  const trajectory: Row[] = [];
  const frontier: Row[] = [];
  const curves: Row[] = [];
  for (const member of members) {
    const { run, points, objectives } = member;
    for (const [step, v] of accuracyBySteps(member)) {
      if (v.clean !== undefined && v.robust !== undefined)
        trajectory.push({ strategy: run.strategy, run: run.id, step, clean: v.clean, robust: v.robust });
      for (const measure of ['clean', 'robust', 'shifted'] as const) {
        if (v[measure] !== undefined)
          curves.push({ strategy: run.strategy, run: run.id, step, measure, accuracy: v[measure] });
      }
    }
    for (const p of runFrontier(points, objectives).points)
      frontier.push({ strategy: run.strategy, run: run.id, clean: p.values[0], robust: p.values[1] });
  }
  return { trajectory, frontier, curves };
}

/**
 * Per dataset, a Pareto plot (test clean accuracy vs robust accuracy: every run's trajectory over the logged steps,
 * faint, and its frontier, bold, coloured by strategy) and accuracy-vs-step curves (clean, robust, and pooled shifted
 * accuracy when measured). Written as SVG and PNG into `dir`; returns the files.
 */
export async function writePlots(
  runs: readonly RunRecord[],
  pointsOf: (runId: string) => readonly MeasuredPoint[],
  dir: string,
  { threat }: PlotOptions = {},
): Promise<string[]> {
  makeDir(dir, 'plot folder');
  const files: string[] = [];
  const plotted = runs.flatMap((run): Plotted[] => {
    const points = run.status === 'finished' ? pointsOf(run.id) : [];
    const objectives = run.status === 'finished' ? runObjectives(run, points, threat) : undefined;
    return objectives === undefined ? [] : [{ run, points, objectives }];
  });
  for (const dataset of [...new Set(plotted.map((r) => r.run.dataset))].sort()) {
    const members = plotted.filter((r) => r.run.dataset === dataset);
    const threatText = threatLabel(JSON.parse(members[0]?.objectives[1].context ?? '{}') as MetricContext);
    const { trajectory, frontier, curves } = plotRows(members);
    const safe = `${dataset}${threat === undefined ? '' : `-${threatText}`}`.replace(/[^\w.-]+/g, '_');
    files.push(...(await render(paretoSpec(dataset, threatText, trajectory, frontier), join(dir, `pareto-${safe}`))));
    files.push(...(await render(curvesSpec(dataset, curves), join(dir, `curves-${safe}`))));
  }
  return files;
}
