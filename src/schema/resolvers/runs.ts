import { GraphQLJSON } from 'graphql-scalars';
import { inject, injectable } from 'tsyringe';
import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { runCorrelations } from '../../core/analysis/correlations.js';
import type { CorrelationTarget } from '../../core/analysis/correlations.js';
import { isUserError } from '../../core/contracts/errors.js';
import type { MetricContext } from '../../core/contracts/metric.js';
import { canonicalJson } from '../../core/evaluation/context.js';
import { downsample } from '../../core/runs/history.js';
import { summariseRun } from '../../core/runs/summary.js';
import { Api, ApiToken, badInput, notFound } from '../api.js';
import type { ApiContext } from '../api.js';
import { RunPageArgs } from '../inputs.js';
import { pageOfRuns, runPageComplexity } from '../run-query.js';
import { parseRadius } from '../scalars.js';
import {
  AccuracyCorrelation,
  CorrelationKind,
  HistoryPoint,
  MetricSeries,
  Run,
  RunConnection,
  RunProgressInfo,
  RunStatus,
  RunSummary,
} from '../types.js';

/** The largest `samples` a history query may ask for. */
export const MAX_HISTORY_SAMPLES = 10_000;

/** A JSON argument that must be a flat object of strings and numbers (a metric context). */
export function contextArg(value: unknown, name: string): MetricContext {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string' && typeof v !== 'number')
  ) {
    throw badInput(
      `${name}: expected an object of strings and numbers like {"split":"test"}, got ${JSON.stringify(value)}`,
    );
  }
  // Radii are stored as numbers: "8/255" names the same context as 0.0313725...
  const { eps } = value as MetricContext;
  if (typeof eps !== 'string') return value as MetricContext;
  try {
    return { ...(value as MetricContext), eps: parseRadius(eps) };
  } catch (error) {
    throw badInput(`${name}.eps: ${(error as Error).message}`);
  }
}

/** A run's or an entry's correlation as the schema types it. */
export const correlationView = <T extends CorrelationTarget>(
  correlation: T,
): Omit<T, 'kind' | 'context'> & { kind: CorrelationKind; context: Record<string, string | number> | null } => ({
  ...correlation,
  kind: correlation.kind as CorrelationKind,
  context: correlation.context === null ? null : { ...correlation.context },
});

@injectable()
@Resolver(() => Run)
export class RunResolver {
  constructor(@inject(ApiToken) private readonly api: Api) {}

  @Query(() => RunConnection, {
    description: 'Runs matching a filter, ordered, one page at a time (first or last, at most 100).',
    complexity: runPageComplexity,
  })
  runs(@Args(() => RunPageArgs) page: RunPageArgs): RunConnection {
    return pageOfRuns(this.api.views(), page);
  }

  @Query(() => Run, { description: 'A stored or queued run (NOT_FOUND when there is none).' })
  run(@Arg('id', () => ID) id: string): Run {
    const run = this.api.run(id);
    if (run === undefined) throw notFound('run', id);
    return run;
  }

  @FieldResolver(() => GraphQLJSON, {
    description: 'The run spec with every default filled in (server paths only with the API token).',
  })
  spec(@Root() run: Run, @Ctx() context: ApiContext): unknown {
    return this.api.visible(context, run.spec);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Why it failed or stopped (server paths only with the API token).',
  })
  error(@Root() run: Run, @Ctx() context: ApiContext): string | null {
    return this.api.visible(context, run.error);
  }

  @FieldResolver(() => RunSummary)
  summary(@Root() run: Run): RunSummary {
    const record = this.api.store.getRun(run.id);
    if (record === undefined) return {};
    const final = this.api.store
      .points(run.id, { fromStep: record.lastStep ?? 0 })
      .filter((p) => p.context['checkpoint'] === 'best');
    return summariseRun(record, final);
  }

  @FieldResolver(() => [AccuracyCorrelation], {
    description:
      "Pearson and Spearman correlation, over the run's logged evaluation steps, of clean test accuracy with each shifted accuracy (every corruption at each severity, every domain), all shifts pooled, and each threat model's robust accuracy: " +
      'POOLED first, then SHIFT by shift, variant, severity and domain, then ROBUST by attack, norm and radius.',
  })
  correlations(
    @Root() run: Run,
    @Arg('kind', () => CorrelationKind, { nullable: true, description: 'Only correlations of this kind.' })
    kind: CorrelationKind | null | undefined,
  ): AccuracyCorrelation[] {
    return runCorrelations(this.api.store.points(run.id))
      .filter((c) => kind == null || c.kind === kind)
      .map(correlationView);
  }

  @FieldResolver(() => [MetricSeries], {
    description: 'Every metric and context the run logged (best-checkpoint points excluded).',
  })
  metrics(@Root() run: Run): MetricSeries[] {
    const series = new Map<string, MetricSeries>();
    for (const p of this.api.store.points(run.id)) {
      if (p.context['checkpoint'] !== undefined) continue;
      const key = `${p.name}\u0000${canonicalJson(p.context)}`;
      const entry = series.get(key) ?? {
        metric: p.name,
        context: p.context as Record<string, string | number>,
        points: 0,
      };
      entry.points += 1;
      series.set(key, entry);
    }
    return [...series.values()];
  }

  @FieldResolver(() => [HistoryPoint], {
    description:
      'One metric over the logged steps, down-sampled on the server to at most `samples` points (the first, last, lowest and highest always kept).',
    complexity: ({ args }) => 1 + Math.ceil(Math.min(Number(args['samples'] ?? 500), MAX_HISTORY_SAMPLES) / 100),
  })
  history(
    @Root() run: Run,
    @Arg('metric', () => String, { defaultValue: 'accuracy' }) metric: string,
    @Arg('context', () => GraphQLJSON, {
      nullable: true,
      description:
        'The metric context (default {"split":"test"}), e.g. {"split":"test","attack":"pgd","norm":"Linf","eps":"1/255"} (eps a number or k/255 fraction in [0,1] pixel units); see metrics. A context or metric the run did not log is BAD_USER_INPUT naming those it did.',
    })
    context: unknown,
    @Arg('samples', () => Int, { defaultValue: 500 }) samples: number,
    @Arg('fromStep', () => Int, { nullable: true }) fromStep: number | null | undefined,
    @Arg('toStep', () => Int, { nullable: true }) toStep: number | null | undefined,
  ): HistoryPoint[] {
    if (samples > MAX_HISTORY_SAMPLES) throw badInput(`samples: at most ${MAX_HISTORY_SAMPLES}, got ${samples}`);
    const wanted = context === undefined || context === null ? { split: 'test' } : contextArg(context, 'context');
    const series = this.api.store.series(run.id, metric, wanted, {
      ...(fromStep == null ? {} : { fromStep }),
      ...(toStep == null ? {} : { toStep }),
    });
    if (series.length === 0) this.assertMeasured(run.id, metric, wanted);
    try {
      return downsample(series, samples).map((p) => ({
        step: p.step,
        epoch: p.epoch,
        value: Number.isFinite(p.value) ? p.value : null,
        count: p.count,
        seconds: p.seconds,
      }));
    } catch (error) {
      throw isUserError(error) ? badInput(error.message) : error;
    }
  }

  /**
   * Refuses a metric or context the run never logged while it logged others (a typo, a context without its norm),
   * naming those it has; a run that logged nothing yet (queued, just started) answers an empty history.
   */
  private assertMeasured(runId: string, metric: string, context: MetricContext): void {
    const logged = this.api.store.points(runId).filter((p) => p.context['checkpoint'] === undefined);
    if (logged.length === 0) return;
    const ofMetric = logged.filter((p) => p.name === metric);
    if (ofMetric.length === 0) {
      throw badInput(
        `metric: run ${runId} logged no '${metric}'; it logged ${[...new Set(logged.map((p) => p.name))].sort().join(', ')}`,
      );
    }
    if (ofMetric.some((p) => canonicalJson(p.context) === canonicalJson(context))) return;
    const contexts = [...new Set(ofMetric.map((p) => canonicalJson(p.context)))].sort();
    throw badInput(
      `context: run ${runId} logged no '${metric}' in ${canonicalJson(context)}; its contexts: ${contexts.join(', ')}`,
    );
  }

  @FieldResolver(() => RunProgressInfo, {
    nullable: true,
    description:
      'Live progress while the run is queued or running in this server (poll it, or subscribe to runProgress).',
  })
  progress(@Root() run: Run, @Ctx() context: ApiContext): RunProgressInfo | undefined {
    const progress = this.api.queue.progress(run.id);
    return progress === undefined
      ? undefined
      : this.api.visible(context, { ...progress, status: progress.status as RunStatus });
  }
}
