import { inject, injectable } from 'tsyringe';
import type { GraphQLError } from 'graphql';
import { Arg, Ctx, Float, ID, Int, Query, Resolver } from 'type-graphql';
import type { MetricContext } from '../../core/contracts/metric.js';
import { canonicalJson } from '../../core/evaluation/context.js';
import { paretoFrontier } from '../../core/frontier/pareto.js';
import type { Objective as ObjectiveSpec } from '../../core/frontier/pareto.js';
import { leaderboards } from '../../core/analysis/leaderboard.js';
import { measurements } from '../../core/analysis/measurements.js';
import type { DatasetMeasurements as MeasuredOnDataset, MeasuredThreat } from '../../core/analysis/measurements.js';
import { differences, registryResolver } from '../../core/analysis/protocol.js';
import { metricVersion, radiusLabel, runObjectives, threatLabel } from '../../core/runs/frontiers.js';
import type { RunRecord } from '../../core/store/store.js';
import { Api, ApiToken, badInput } from '../api.js';
import type { ApiContext } from '../api.js';
import { ObjectiveInput, RunFilter } from '../inputs.js';
import { matches } from '../run-query.js';
import { RadiusScalar } from '../scalars.js';
import { DatasetMeasurements, Frontier, Leaderboard, Norm, Sense } from '../types.js';
import { contextArg, correlationView } from './runs.js';

const radiusOf = (eps: number): { value: number; label: string } => ({ value: eps, label: radiusLabel(eps) });

const threatText = (t: MeasuredThreat): string => `${t.label}${t.steps === null ? '' : ` (${t.steps} steps)`}`;

/** Whether a measured threat model is the one asked for (unset fields match any; radii within rounding). */
const threatMatches = (
  t: MeasuredThreat,
  wanted: { attack?: string; norm?: string; eps?: number; steps?: number },
): boolean =>
  (wanted.attack === undefined || t.attack === wanted.attack) &&
  (wanted.norm === undefined || t.norm === wanted.norm) &&
  (wanted.eps === undefined || Math.abs(t.eps - wanted.eps) <= 1e-9 * Math.max(1, wanted.eps)) &&
  (wanted.steps === undefined || t.steps === wanted.steps);

/** BAD_USER_INPUT for a dataset without stored runs, naming the datasets that have some. */
function unknownDataset(dataset: string, runs: readonly RunRecord[]): GraphQLError {
  const known = [...new Set(runs.map((r) => r.dataset))].sort();
  return badInput(
    `dataset: no stored run on '${dataset}'; datasets with stored runs: ${known.length === 0 ? 'none' : known.join(', ')}`,
  );
}

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
        .map(([version, ids]) => `${metric}@${version}: ${ids.join(', ')}`)
        .join('; ');
      throw badInput(
        `the selected runs measured ${metric} with different, incomparable versions (${groups}); select runs of one version`,
      );
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
    const views = this.api
      .views()
      .filter((v) => (ids == null || ids.includes(v.run.id)) && (filter == null || matches(v, filter)));
    return views.flatMap((v) => records.get(v.run.id) ?? []);
  }

  @Query(() => Frontier, {
    description:
      "The Pareto frontier over every logged step of the selected runs for two objectives, its hypervolume against the reference point, and each point's contribution. " +
      "Without objectives: test accuracy and the first run's frontier robust accuracy.",
    complexity: 20,
  })
  frontier(
    @Arg('runs', () => [ID], { nullable: true }) ids: string[] | null | undefined,
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | null | undefined,
    @Arg('objectives', () => [ObjectiveInput], { nullable: true, description: 'Exactly two.' })
    objectives: ObjectiveInput[] | null | undefined,
    @Arg('referencePoint', () => [Float], { defaultValue: [0, 0] }) referencePoint: number[],
  ): Frontier {
    if (objectives != null && objectives.length !== 2)
      throw badInput(`objectives: expected exactly 2, got ${objectives.length}`);
    if (referencePoint.length !== 2) throw badInput(`referencePoint: expected 2 numbers, got ${referencePoint.length}`);
    const runs = this.selectRuns(ids, filter);
    const chosen: [ObjectiveSpec, ObjectiveSpec] | undefined =
      objectives == null
        ? runs.map((r) => runObjectives(r, [])).find((o) => o !== undefined)
        : (objectives.map((o, i) => ({
            metric: o.metric,
            context: canonicalJson(contextArg(o.context, `objectives[${i}].context`)),
            sense: o.sense,
          })) as [ObjectiveSpec, ObjectiveSpec]);
    if (chosen === undefined)
      throw badInput('none of the selected runs has a frontier of its own (no attack); give objectives');
    assertOneVersion(runs, chosen);
    const inputs = runs.flatMap((run) => {
      const valueAt = (objective: ObjectiveSpec): Map<number, number> =>
        new Map(
          this.api.store
            .points(run.id, { name: objective.metric })
            .filter(
              (p) =>
                p.context['checkpoint'] === undefined &&
                canonicalJson(p.context) === objective.context &&
                Number.isFinite(p.value),
            )
            .map((p) => [p.step, p.value]),
        );
      const [x, y] = chosen.map(valueAt) as [Map<number, number>, Map<number, number>];
      return [...x]
        .filter(([step]) => y.has(step))
        .map(([step, value]) => ({
          values: [value, y.get(step) as number] as [number, number],
          item: { runId: run.id, step },
        }));
    });
    const result = paretoFrontier(inputs, chosen, referencePoint as [number, number]);
    return {
      definition: {
        ...result.definition,
        objectives: result.definition.objectives.map((o) => ({
          metric: o.metric,
          context: o.context === undefined ? null : (JSON.parse(o.context) as MetricContext),
          sense: o.sense as Sense,
        })),
        referencePoint: [...result.definition.referencePoint],
      },
      points: result.points.map((p) => ({
        runId: p.item.runId,
        step: p.item.step,
        values: [...p.values],
        contribution: p.contribution,
      })),
      hypervolume: result.hypervolume,
    };
  }

  /** What the stored runs measured, per dataset (of `dataset` only when given; unknown: BAD_USER_INPUT). */
  private measured(dataset?: string): MeasuredOnDataset[] {
    const runs = this.api.store.listRuns(dataset === undefined ? {} : { dataset });
    if (dataset !== undefined && runs.length === 0) throw unknownDataset(dataset, this.api.store.listRuns());
    return measurements(runs, (id) => this.api.store.points(id), registryResolver(this.api.registry));
  }

  @Query(() => [DatasetMeasurements], {
    description:
      'The threat models (attack, norm, eps, steps) and shifts the stored runs measured, per dataset: what leaderboard and history can be asked for.',
    complexity: 20,
  })
  measurements(
    @Arg('dataset', () => String, { nullable: true }) dataset: string | null | undefined,
  ): DatasetMeasurements[] {
    return this.measured(dataset ?? undefined).map((m) => ({
      ...m,
      threatModels: m.threatModels.map((t) => ({ ...t, norm: t.norm as Norm, eps: radiusOf(t.eps) })),
      shifts: m.shifts.map((sh) => ({ ...sh, variants: [...sh.variants] })),
    }));
  }

  @Query(() => [Leaderboard], {
    description:
      'Boards of a dataset ranked by mean AUPF, one per comparable protocol (backbone, dataset config, evaluation samples, attack config, accuracy version, ' +
      "training budget); each entry pools runs that differ in their seed only. Without attack/norm/eps/steps, each run's own frontier threat model is used. " +
      'A dataset or threat model no stored run measured is BAD_USER_INPUT naming the ones that exist (see measurements).',
    complexity: 50,
  })
  leaderboard(
    @Arg('dataset', () => String) dataset: string,
    @Arg('attack', () => String, { nullable: true }) attack: string | null | undefined,
    @Arg('norm', () => Norm, { nullable: true }) norm: Norm | null | undefined,
    @Arg('eps', () => RadiusScalar, {
      nullable: true,
      description: 'A radius in [0,1] pixel units, e.g. 0.0314 or "8/255".',
    })
    eps: number | null | undefined,
    @Arg('steps', () => Int, { nullable: true, description: 'Only boards whose attack ran this many steps.' })
    steps: number | null | undefined,
    @Arg('filter', () => RunFilter, {
      nullable: true,
      description: 'Only these runs (e.g. one experiment, some tags).',
    })
    filter: RunFilter | null | undefined,
    @Ctx() context: ApiContext,
  ): Leaderboard[] {
    const threatModels = this.measured(dataset)[0]?.threatModels ?? [];
    const threat =
      attack == null && norm == null && eps == null
        ? undefined
        : { ...(attack == null ? {} : { attack }), ...(norm == null ? {} : { norm }), ...(eps == null ? {} : { eps }) };
    const wanted = { ...(threat ?? {}), ...(steps == null ? {} : { steps }) };
    if (!threatModels.some((t) => threatMatches(t, wanted))) {
      const asked =
        Object.entries(wanted)
          .map(([k, v]) => `${k} ${k === 'eps' ? radiusLabel(v as number) : String(v)}`)
          .join(', ') || 'a threat model';
      throw badInput(
        `no stored run on '${dataset}' measured ${asked}; measured there: ${threatModels.length === 0 ? 'none (no attack)' : threatModels.map(threatText).join('; ')}`,
      );
    }
    const records = this.selectRuns(undefined, { ...(filter ?? {}), dataset: { eq: dataset } }).filter(
      (r) => r.status === 'finished',
    );
    const boards = leaderboards(records, (id) => this.api.store.points(id), {
      ...(threat === undefined ? {} : { threat }),
      resolve: registryResolver(this.api.registry),
    }).filter((b) => steps == null || (b.protocol.attack.config as { steps?: unknown }).steps === steps);
    return boards.map((board) => {
      const robustContext = JSON.parse(board.robustContext) as Record<string, string | number>;
      const siblings = boards.filter((b) => b.robustContext === board.robustContext);
      return this.api.visible(context, {
        dataset,
        threat: threatLabel(robustContext),
        attack: board.protocol.attack.name,
        norm: board.protocol.attack.norm as Norm,
        eps: radiusOf(board.protocol.attack.eps),
        robustContext,
        model: board.protocol.model,
        accuracyVersion: board.protocol.accuracyVersion === '' ? null : board.protocol.accuracyVersion,
        protocol: board.protocol,
        differences: [...board.differences],
        differsFromOtherBoards: differences(siblings.map((b) => b.protocol)),
        entries: board.entries.map((e, i) => ({
          ...e,
          rank: i + 1,
          runs: e.runIds.length,
          seeds: [...e.seeds],
          runIds: [...e.runIds],
          aupf: e.aupf.mean,
          aupfStd: e.aupf.std,
          aupfCi95: e.aupf.ci95 === null ? null : { low: e.aupf.ci95[0], high: e.aupf.ci95[1] },
          architecture:
            e.architecture === null
              ? null
              : {
                  imageSize: e.architecture.imageSize,
                  patchSize: e.architecture.patchSize,
                  width: e.architecture.hiddenSize,
                  depth: e.architecture.numLayers,
                },
          attack: { name: board.protocol.attack.name, config: board.protocol.attack.config },
          correlations: e.correlations.map(correlationView),
        })),
      });
    });
  }
}
