import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { threatLabel } from '../runs/frontiers.js';
import type { RunRecord } from '../store/store.js';
import { protocolOf } from './protocol.js';
import type { ConfigResolver } from './protocol.js';

/** A threat model measured on a dataset's test split, with the attack's steps (from its full config). */
export interface MeasuredThreat {
  readonly attack: string;
  readonly norm: string;
  readonly eps: number;
  readonly steps: number | null;
  readonly label: string;
  readonly runs: number;
}

export interface MeasuredShift {
  readonly shift: string;
  /** Corruptions or domains measured. */
  readonly variants: readonly string[];
  readonly runs: number;
}

/** What the runs of one dataset measured. */
export interface DatasetMeasurements {
  readonly dataset: string;
  readonly runs: number;
  readonly threatModels: readonly MeasuredThreat[];
  readonly shifts: readonly MeasuredShift[];
}

/** The threat models and shifts the stored runs measured, per dataset (by name), in name order. */
export function measurements(
  runs: readonly RunRecord[],
  pointsOf: (runId: string) => readonly MeasuredPoint[],
  resolve?: ConfigResolver,
): DatasetMeasurements[] {
  type Shift = { variants: Set<string>; runs: Set<string> };
  const byDataset = new Map<
    string,
    { runs: number; threats: Map<string, MeasuredThreat>; shifts: Map<string, Shift> }
  >();
  for (const run of runs) {
    const dataset = byDataset.get(run.dataset) ?? { runs: 0, threats: new Map(), shifts: new Map() };
    dataset.runs += 1;
    const seen = new Set<string>();
    for (const p of pointsOf(run.id)) {
      const c = p.context;
      if (p.name !== 'accuracy' || c['checkpoint'] !== undefined) continue;
      if (c['split'] === 'test' && c['attack'] !== undefined && c['variant'] === undefined) {
        const attack = protocolOf(run, c, resolve).attack;
        const steps = (attack.config as { steps?: unknown }).steps;
        const threat = {
          attack: attack.name,
          norm: attack.norm,
          eps: attack.eps,
          steps: typeof steps === 'number' ? steps : null,
        };
        const key = JSON.stringify(threat);
        if (seen.has(key)) continue;
        seen.add(key);
        const known = dataset.threats.get(key);
        dataset.threats.set(key, { ...threat, label: threatLabel(c), runs: (known?.runs ?? 0) + 1 });
      } else if (c['shift'] !== undefined) {
        const shift = dataset.shifts.get(String(c['shift'])) ?? {
          variants: new Set<string>(),
          runs: new Set<string>(),
        };
        const variant = c['variant'] ?? c['domain'];
        if (variant !== undefined) shift.variants.add(String(variant));
        shift.runs.add(run.id);
        dataset.shifts.set(String(c['shift']), shift);
      }
    }
    byDataset.set(run.dataset, dataset);
  }
  return [...byDataset]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dataset, m]) => ({
      dataset,
      runs: m.runs,
      threatModels: [...m.threats.values()].sort(
        (a, b) =>
          a.attack.localeCompare(b.attack) ||
          a.norm.localeCompare(b.norm) ||
          a.eps - b.eps ||
          (a.steps ?? 0) - (b.steps ?? 0),
      ),
      shifts: [...m.shifts]
        .map(([shift, s]) => ({ shift, variants: [...s.variants].sort(), runs: s.runs.size }))
        .sort((a, b) => a.shift.localeCompare(b.shift)),
    }));
}
