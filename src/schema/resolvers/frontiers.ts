import { inject, injectable } from 'tsyringe';
import { Arg, Float, ID, Query, Resolver } from 'type-graphql';
import type { MetricContext } from '../../core/contracts/metric.js';
import { canonicalJson } from '../../core/evaluation/context.js';
import { paretoFrontier } from '../../core/frontier/pareto.js';
import type { Objective as ObjectiveSpec } from '../../core/frontier/pareto.js';
import { metricVersion, runObjectives, threatLabel } from '../../core/runs/frontiers.js';
import { leaderboard } from '../../core/runs/leaderboard.js';
import type { RunRecord } from '../../core/store/store.js';
import { Api, ApiToken, badInput } from '../api.js';
import { ObjectiveInput, RunFilter } from '../inputs.js';
import { matches } from '../run-query.js';
import { Frontier, Leaderboard, Sense } from '../types.js';
import { contextArg } from './runs.js';

/** Refuses to pool runs whose objectives were measured by different versions of a metric: their values differ in meaning. */
function assertOneVersion(runs: readonly RunRecord[], objectives: readonly ObjectiveSpec[]): void {
  for (const metric of new Set(objectives.map((o) => o.metric))) {
    const byVersion = new Map<string, string[]>();
    for (const run of runs) {
      const version = metricVersion(run, metric) ?? 'unrecorded';
      byVersion.set(version, [...(byVersion.get(version) ?? []), run.id]);
    }
    if (byVersion.size > 1) {
      const groups = [...byVersion]
        .sort(([a], [b]) => b.localeCompare(a, 'en', { numeric: true }))
        .map(([version, ids]) => `${metric}@${version}: ${ids.join(', ')}`).join('; ');
      throw badInput(`the selected runs measured ${metric} with different, incomparable versions (${groups}); select runs of one version`);
    }
  }
}

/** Frontiers across runs and strategy leaderboards. */
@injectable()
@Resolver()
export class FrontierResolver {
  constructor(@inject(ApiToken) private readonly api: Api) {}

  /** Stored finished runs named by id, or matching a filter. */
  private selectRuns(ids: string[] | null | undefined, filter: RunFilter | null | undefined): RunRecord[] {
    if (ids == null && filter == null) throw badInput('give runs (ids) or a filter');
    const records = new Map(this.api.store.listRuns().map((r) => [r.id, r]));
    for (const id of ids ?? []) if (!records.has(id)) throw badInput(`runs: no run '${id}'`);
    const views = this.api.views().filter((v) => (ids == null || ids.includes(v.run.id)) && (filter == null || matches(v, filter)));
    return views.flatMap((v) => records.get(v.run.id) ?? []);
  }

  @Query(() => Frontier, {
    description:
      'The Pareto frontier over every logged step of the selected runs for two objectives, its hypervolume against the reference point, and each point\'s contribution. ' +
      "Without objectives: test accuracy and the first run's frontier robust accuracy.",
    complexity: 20,
  })
  frontier(
    @Arg('runs', () => [ID], { nullable: true }) ids: string[] | null | undefined,
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | null | undefined,
    @Arg('objectives', () => [ObjectiveInput], { nullable: true, description: 'Exactly two.' }) objectives: ObjectiveInput[] | null | undefined,
    @Arg('referencePoint', () => [Float], { defaultValue: [0, 0] }) referencePoint: number[],
  ): Frontier {
    if (objectives != null && objectives.length !== 2) throw badInput(`objectives: expected exactly 2, got ${objectives.length}`);
    if (referencePoint.length !== 2) throw badInput(`referencePoint: expected 2 numbers, got ${referencePoint.length}`);
    const runs = this.selectRuns(ids, filter);
    const chosen: [ObjectiveSpec, ObjectiveSpec] | undefined =
      objectives == null
        ? runs.map((r) => runObjectives(r, [])).find((o) => o !== undefined)
        : (objectives.map((o, i) => ({ metric: o.metric, context: canonicalJson(contextArg(o.context, `objectives[${i}].context`)), sense: o.sense })) as [ObjectiveSpec, ObjectiveSpec]);
    if (chosen === undefined) throw badInput('none of the selected runs has a frontier of its own (no attack); give objectives');
    assertOneVersion(runs, chosen);
    const inputs = runs.flatMap((run) => {
      const valueAt = (objective: ObjectiveSpec): Map<number, number> =>
        new Map(
          this.api.store
            .points(run.id, { name: objective.metric })
            .filter((p) => p.context['checkpoint'] === undefined && canonicalJson(p.context) === objective.context && Number.isFinite(p.value))
            .map((p) => [p.step, p.value]),
        );
      const [x, y] = chosen.map(valueAt) as [Map<number, number>, Map<number, number>];
      return [...x].filter(([step]) => y.has(step)).map(([step, value]) => ({ values: [value, y.get(step) as number] as [number, number], item: { runId: run.id, step } }));
    });
    const result = paretoFrontier(inputs, chosen, referencePoint as [number, number]);
    return {
      definition: {
        ...result.definition,
        objectives: result.definition.objectives.map((o) => ({ metric: o.metric, context: o.context === undefined ? null : (JSON.parse(o.context) as MetricContext), sense: o.sense as Sense })),
        referencePoint: [...result.definition.referencePoint],
      },
      points: result.points.map((p) => ({ runId: p.item.runId, step: p.item.step, values: [...p.values], contribution: p.contribution })),
      hypervolume: result.hypervolume,
    };
  }

  @Query(() => [Leaderboard], {
    description:
      "Strategies on a dataset ranked by mean AUPF over their finished runs, with percent above the board's average. Without attack/norm/eps, each run's own " +
      'frontier threat model is used, giving one board per threat model. Runs measured by different accuracy metric versions are on different boards.',
    complexity: 50,
  })
  leaderboard(
    @Arg('dataset', () => String) dataset: string,
    @Arg('attack', () => String, { nullable: true }) attack: string | null | undefined,
    @Arg('norm', () => String, { nullable: true }) norm: string | null | undefined,
    @Arg('eps', () => Float, { nullable: true }) eps: number | null | undefined,
    @Arg('filter', () => RunFilter, { nullable: true, description: 'Only these runs (e.g. one experiment, some tags).' }) filter: RunFilter | null | undefined,
  ): Leaderboard[] {
    const records = this.selectRuns(undefined, { ...(filter ?? {}), dataset: { eq: dataset } }).filter((r) => r.status === 'finished');
    const threat = attack == null && norm == null && eps == null ? undefined : { ...(attack == null ? {} : { attack }), ...(norm == null ? {} : { norm }), ...(eps == null ? {} : { eps }) };
    const rows = leaderboard(records, (id) => this.api.store.points(id), threat);
    const boards = new Map<string, Leaderboard>();
    for (const row of rows) {
      const robustContext = JSON.parse(row.robustContext) as MetricContext;
      const key = `${row.robustContext}\u0000${row.accuracyVersion}`;
      const board = boards.get(key) ?? {
        dataset,
        threat: threatLabel(robustContext),
        robustContext: robustContext as Record<string, string | number>,
        accuracyVersion: row.accuracyVersion === '' ? null : row.accuracyVersion,
        entries: [],
      };
      const members = records.filter((r) => row.runIds.includes(r.id));
      const result = (members[0]?.result ?? {}) as { parameters?: { trainable: number; trainablePercent: number }; data?: { test?: { evaluated?: number } } };
      board.entries.push({
        ...row,
        rank: board.entries.length + 1,
        trainableParameters: result.parameters?.trainable ?? null,
        trainablePercent: result.parameters?.trainablePercent ?? null,
        testSamples: result.data?.test?.evaluated ?? null,
        runIds: [...row.runIds],
        settings: [...new Map(members.map((r) => {
          const { seed: _seed, ...setting } = r.spec as Record<string, unknown>;
          return [JSON.stringify(setting), setting];
        })).values()],
      });
      boards.set(key, board);
    }
    return [...boards.values()];
  }
}
