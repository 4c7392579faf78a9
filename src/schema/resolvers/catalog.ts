import { inject, injectable } from 'tsyringe';
import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { configJsonSchema } from '../../core/contracts/config.js';
import { datasetCatalog } from '../../core/data/catalog.js';
import { Api, ApiToken, notFound } from '../api.js';
import type { ApiContext } from '../api.js';
import { RunPageArgs } from '../inputs.js';
import { pageOfRuns, runPageComplexity } from '../run-query.js';
import { DatasetInfo, Experiment, PluginFamily, PluginInfo, RunConnection } from '../types.js';

/** Plugins, datasets and experiments. */
@injectable()
@Resolver(() => Experiment)
export class CatalogResolver {
  constructor(@inject(ApiToken) private readonly api: Api) {}

  @Query(() => [PluginInfo], { description: 'Registered plugins (built-in and loaded), optionally of one family.' })
  plugins(
    @Arg('family', () => PluginFamily, { nullable: true }) family: PluginFamily | null | undefined,
    @Ctx() context: ApiContext,
  ): PluginInfo[] {
    return this.api.registry
      .all()
      .filter(({ plugin }) => family == null || plugin.family === family)
      .map(({ plugin, origin }) => ({
        family: plugin.family as PluginFamily,
        name: plugin.meta.name,
        version: plugin.meta.version,
        apiVersion: plugin.meta.apiVersion,
        description: plugin.meta.description,
        origin: this.api.visible(context, origin),
        configSchema: configJsonSchema(plugin.configSchema),
      }));
  }

  @Query(() => [DatasetInfo], {
    description:
      'Dataset plugins with their classes, splits and domains (for their default configs) and whether their files are on the server.',
  })
  datasets(@Ctx() context: ApiContext): DatasetInfo[] {
    return datasetCatalog(this.api.registry, this.api.options.dataDir).map(
      ({ origin: _origin, present, classNames, splits, domains, detail, ...rest }) => ({
        ...rest,
        detail: this.api.visible(context, detail),
        available: present,
        ...(classNames === undefined ? {} : { classNames: [...classNames] }),
        ...(splits === undefined ? {} : { splits: [...splits] }),
        ...(domains === undefined ? {} : { domains: [...domains] }),
      }),
    );
  }

  @Query(() => [Experiment], { description: 'Experiments, newest first.' })
  experiments(@Ctx() context: ApiContext): Experiment[] {
    return this.api.store.listExperiments().map((e) => ({ ...e, definition: this.api.visible(context, e.definition) }));
  }

  @Query(() => Experiment, { description: 'An experiment by id or name (NOT_FOUND when there is none).' })
  experiment(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): Experiment {
    const experiment = this.experiments(context).find((e) => e.id === id || e.name === id);
    if (experiment === undefined) throw notFound('experiment', id);
    return experiment;
  }

  @FieldResolver(() => RunConnection, {
    description: "The experiment's runs, filtered, ordered and paged as `runs` are.",
    complexity: runPageComplexity,
  })
  runs(@Root() experiment: Experiment, @Args(() => RunPageArgs) page: RunPageArgs): RunConnection {
    return pageOfRuns(
      this.api.views().filter((v) => v.run.experimentId === experiment.id),
      page,
    );
  }
}
