import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import type { RunRecord } from '../store/store.js';
import { canonicalJson } from '../store/store.js';

interface StoredFrontier {
  frontier?: {
    definition: { objectives: [{ metric: string; context?: string }, { metric: string; context?: string }] };
    points: { values: [number, number]; item: { step: number } }[];
  };
}

/** Renders a Vega-Lite spec to SVG (Vega's headless renderer) and PNG (sharp/librsvg); returns both paths. */
async function render(spec: TopLevelSpec, base: string): Promise<string[]> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(`${base}.svg`, svg);
  await sharp(Buffer.from(svg), { density: 144 }).png().toFile(`${base}.png`);
  return [`${base}.svg`, `${base}.png`];
}

const contextKey = (context?: string): string => (context === undefined ? '' : canonicalJson(JSON.parse(context) as Record<string, string | number>));

/**
 * Per dataset, a Pareto plot (test clean accuracy vs robust accuracy: every run's trajectory over the logged steps,
 * faint, and its frontier, bold, coloured by strategy) and accuracy-vs-step curves (clean, robust, pooled OOD when
 * measured). Written as SVG and PNG into `dir`; returns the files.
 */
export async function writePlots(runs: readonly RunRecord[], pointsOf: (runId: string) => readonly MeasuredPoint[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const finished = runs.filter((r) => r.status === 'finished' && (r.result as StoredFrontier | null)?.frontier !== undefined);
  for (const dataset of [...new Set(finished.map((r) => r.dataset))].sort()) {
    const trajectory: Record<string, unknown>[] = [];
    const frontier: Record<string, unknown>[] = [];
    const curves: Record<string, unknown>[] = [];
    for (const run of finished.filter((r) => r.dataset === dataset)) {
      const stored = (run.result as StoredFrontier).frontier as NonNullable<StoredFrontier['frontier']>;
      const [clean, robust] = stored.definition.objectives.map((o) => contextKey(o.context));
      const byStep = new Map<number, { clean?: number; robust?: number; ood?: number }>();
      for (const p of pointsOf(run.id)) {
        if (p.name !== 'accuracy' || p.context['checkpoint'] !== undefined) continue;
        const key = canonicalJson(p.context);
        const entry = byStep.get(p.step) ?? {};
        if (key === clean) entry.clean = p.value;
        else if (key === robust) entry.robust = p.value;
        else if (p.context['split'] === 'ood') entry.ood = p.value;
        byStep.set(p.step, entry);
      }
      for (const [step, v] of [...byStep].sort((a, b) => a[0] - b[0])) {
        if (v.clean !== undefined && v.robust !== undefined) trajectory.push({ strategy: run.strategy, run: run.id, step, clean: v.clean, robust: v.robust });
        for (const measure of ['clean', 'robust', 'ood'] as const) {
          if (v[measure] !== undefined) curves.push({ strategy: run.strategy, run: run.id, step, measure, accuracy: v[measure] });
        }
      }
      for (const p of stored.points) frontier.push({ strategy: run.strategy, run: run.id, clean: p.values[0], robust: p.values[1] });
    }
    const safe = dataset.replace(/[^\w.-]+/g, '_');
    const color = { field: 'strategy', type: 'nominal' as const, title: 'strategy' };
    files.push(
      ...(await render(
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          title: `${dataset}: clean vs robust accuracy (trajectories faint, frontiers bold)`,
          config: { legend: { symbolOpacity: 1 } },
          width: 420,
          height: 320,
          layer: [
            {
              data: { values: trajectory },
              mark: { type: 'line', opacity: 0.3, point: { opacity: 0.3, size: 12 } },
              encoding: { x: { field: 'clean', type: 'quantitative', title: 'test accuracy' }, y: { field: 'robust', type: 'quantitative', title: 'robust accuracy' }, color, detail: { field: 'run' }, order: { field: 'step' } },
            },
            {
              data: { values: frontier },
              mark: { type: 'line', strokeWidth: 3, point: { size: 40 } },
              encoding: { x: { field: 'clean', type: 'quantitative' }, y: { field: 'robust', type: 'quantitative' }, color, detail: { field: 'run' }, order: { field: 'clean' } },
            },
          ],
        },
        join(dir, `pareto-${safe}`),
      )),
      ...(await render(
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          title: `${dataset}: accuracy during fine-tuning`,
          data: { values: curves },
          mark: { type: 'line', point: { size: 12 } },
          encoding: {
            x: { field: 'step', type: 'quantitative' },
            y: { field: 'accuracy', type: 'quantitative' },
            color,
            detail: { field: 'run' },
            column: { field: 'measure', type: 'nominal', title: null, sort: ['clean', 'robust', 'ood'] },
          },
          width: 220,
          height: 180,
        },
        join(dir, `curves-${safe}`),
      )),
    );
  }
  return files;
}
