import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { printSchema } from 'graphql';
import type { DependencyContainer } from 'tsyringe';
import { buildSchema } from 'type-graphql';
import type { Api } from './api.js';
import { ApiToken } from './api.js';
import { CatalogResolver } from './resolvers/catalog.js';
import { ControlResolver, progressSource } from './resolvers/control.js';
import { FrontierResolver } from './resolvers/frontiers.js';
import { RunResolver } from './resolvers/runs.js';

export const RESOLVERS = [CatalogResolver, RunResolver, FrontierResolver, ControlResolver] as const;

/**
 * The API schema, with resolvers resolved from a child of `container` that holds `api`. Without a container the
 * schema can only be printed (its SDL is checked in as schema.graphql).
 */
export async function buildApiSchema(container?: DependencyContainer, api?: Api): Promise<GraphQLSchema> {
  const scope = container?.createChildContainer();
  if (scope !== undefined && api !== undefined) scope.registerInstance(ApiToken, api);
  return buildSchema({
    resolvers: [...RESOLVERS],
    validate: false, // inputs are checked by the resolvers, with messages that name the argument
    pubSub: progressSource(api),
    ...(scope === undefined
      ? {}
      : { container: { get: (someClass: new (...args: never[]) => unknown) => scope.resolve(someClass) } }),
  });
}

/** The SDL of the API schema, as checked in at the repository root. */
export async function apiSdl(): Promise<string> {
  return `${printSchema(await buildApiSchema())}\n`;
}
