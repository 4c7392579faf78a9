import { z } from 'zod';
import { parseConfig } from '../contracts/config.js';
import { parseObject, readUserFile } from '../user-files.js';
import { pluginRef, runSpecSchema } from './spec.js';

const dottedPath = z
  .string()
  .regex(/^[A-Za-z]\w*(\.[A-Za-z]\w*)*$/, 'expected a dotted run-spec path like training.learningRate');
const refName = (ref: z.infer<typeof pluginRef>): string => (typeof ref === 'string' ? ref : ref.name);

/**
 * A study: every combination of strategies x datasets x seeds x hyper-parameter values, each a run.
 * `base` holds what all runs share (any run-spec field); `perStrategy` sets dotted run-spec paths for the runs of
 * one strategy (e.g. its learning rate); `grid` maps dotted paths to value lists and wins over both.
 */
export const experimentSchema = z
  .strictObject({
    name: z.string().min(1),
    base: z.record(z.string(), z.unknown()).default({}),
    strategies: z.array(z.union([pluginRef, z.array(pluginRef).min(1)])).min(1),
    datasets: z.array(pluginRef).min(1),
    seeds: z.array(z.number().int()).min(1).default([0]),
    perStrategy: z.record(z.string(), z.record(dottedPath, z.unknown())).default({}),
    grid: z.record(dottedPath, z.array(z.unknown()).min(1)).default({}),
  })
  .superRefine((experiment, ctx) => {
    const names = new Set(experiment.strategies.flatMap((s) => (Array.isArray(s) ? s : [s]).map(refName)));
    for (const name of Object.keys(experiment.perStrategy)) {
      if (!names.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['perStrategy', name],
          message: `'${name}' is not among the experiment's strategies (${[...names].join(', ')})`,
        });
    }
  });

export type Experiment = z.output<typeof experimentSchema>;

/** Reads an experiment file (JSON, or YAML for .yaml/.yml), naming the file and field of any problem. */
export function readExperiment(file: string): Experiment {
  const yaml = /\.ya?ml$/i.test(file);
  const raw = parseObject(readUserFile(file, file, `a ${yaml ? 'YAML' : 'JSON'} experiment file`), file, yaml);
  return parseConfig(experimentSchema, raw, file);
}

/** Sets `value` at a dotted path of a plain object, creating objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (node[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {}) as Record<
      string,
      unknown
    >;
  }
  node[keys.at(-1) as string] = value;
}

/** JSON with object keys sorted at every level: equal specs give equal text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The run specs of an experiment in a fixed order (dataset, strategy, grid values, seed), each validated and
 * with defaults filled in, so that a stored run can be matched to its spec when an experiment is resumed.
 */
export function expandExperiment(experiment: Experiment): { spec: unknown; key: string }[] {
  const gridEntries = Object.entries(experiment.grid);
  const combos = gridEntries.reduce<Record<string, unknown>[]>(
    (acc, [path, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [path]: v }))),
    [{}],
  );
  const specs: { spec: unknown; key: string }[] = [];
  for (const dataset of experiment.datasets) {
    for (const strategy of experiment.strategies) {
      for (const combo of combos) {
        for (const seed of experiment.seeds) {
          const spec: Record<string, unknown> = structuredClone(experiment.base);
          spec['dataset'] = dataset;
          spec['strategies'] = Array.isArray(strategy) ? strategy : [strategy];
          spec['seed'] = seed;
          for (const ref of spec['strategies'] as z.infer<typeof pluginRef>[]) {
            for (const [path, value] of Object.entries(experiment.perStrategy[refName(ref)] ?? {}))
              setPath(spec, path, value);
          }
          for (const [path, value] of Object.entries(combo)) setPath(spec, path, value);
          const parsed = parseConfig(
            runSpecSchema,
            spec,
            `experiment '${experiment.name}' run (${stableJson({ dataset, strategy, seed, ...combo })})`,
          );
          specs.push({ spec: parsed, key: stableJson(parsed) });
        }
      }
    }
  }
  return specs;
}
