import { inject, injectable } from 'tsyringe';
import { Arg, Args, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { configJsonSchema } from '../../core/contracts/config.js';
import { datasetCatalog } from '../../core/data/catalog.js';
import { Api, ApiToken, notFound } from '../api.js';
import { RunPageArgs } from '../inputs.js';
import { pageOfRuns, runPageComplexity } from '../run-query.js';
import { DatasetInfo, Experiment, PluginFamily, PluginInfo, RunConnection } from '../types.js';

/** Plugins, datasets and experiments. */
@injectable()
@Resolver(() => Experiment)
export class CatalogResolver {
  constructor(@inject(ApiToken) private readonly api: Api) {}

  @Query(() => [PluginInfo], { description: 'Registered plugins (built-in and loaded), optionally of one family.' })
  plugins(@Arg('family', () => PluginFamily, { nullable: true }) family: PluginFamily | null | undefined): PluginInfo[] {
    return this.api.registry
      .all()
      .filter(({ plugin }) => family == null || plugin.family === family)
      .map(({ plugin, origin }) => ({
        family: plugin.family as PluginFamily,
        name: plugin.meta.name,
        version: plugin.meta.version,
        apiVersion: plugin.meta.apiVersion,
        description: plugin.meta.description,
        origin,
        configSchema: configJsonSchema(plugin.configSchema),
      }));
  }

  @Query(() => [DatasetInfo], { description: 'Dataset plugins with their classes, splits and domains (for their default configs) and whether their files are on the server.' })
  datasets(): DatasetInfo[] {
    return datasetCatalog(this.api.registry, this.api.options.dataDir).map(({ origin: _origin, present, classNames, splits, domains, ...rest }) => ({
      ...rest,
      available: present,
      ...(classNames === undefined ? {} : { classNames: [...classNames] }),
      ...(splits === undefined ? {} : { splits: [...splits] }),
      ...(domains === undefined ? {} : { domains: [...domains] }),
    }));
  }

  @Query(() => [Experiment], { description: 'Experiments, newest first.' })
  experiments(): Experiment[] {
    return this.api.store.listExperiments();
  }

  @Query(() => Experiment, { description: 'An experiment by id or name (NOT_FOUND when there is none).' })
  experiment(@Arg('id', () => ID) id: string): Experiment {
    const experiment = this.experiments().find((e) => e.id === id || e.name === id);
    if (experiment === undefined) throw notFound('experiment', id);
    return experiment;
  }

  @FieldResolver(() => RunConnection, { description: "The experiment's runs, filtered, ordered and paged as `runs` are.", complexity: runPageComplexity })
  runs(@Root() experiment: Experiment, @Args(() => RunPageArgs) page: RunPageArgs): RunConnection {
    return pageOfRuns(
      this.api.views().filter((v) => v.run.experimentId === experiment.id),
      page,
    );
  }
}
