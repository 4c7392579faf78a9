import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { radiusSchema } from '../core/contracts/attack.js';

const EXPECTED = 'a radius in [0,1] pixel units: a number such as 0.0314 or a fraction such as "8/255"';

/** Parses a radius with the contract's parser (radiusSchema): what an attack config's `eps` accepts. */
export function parseRadius(value: unknown): number {
  const parsed = radiusSchema.safeParse(value);
  if (!parsed.success)
    throw new GraphQLError(`expected ${EXPECTED}, got ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  return parsed.data;
}

/** A perturbation radius as input: a number or a `k/n` fraction string, in [0,1] pixel units. */
export const RadiusScalar = new GraphQLScalarType<number, number>({
  name: 'Radius',
  description: `A perturbation radius (eps), as a fraction of the [0,1] pixel range: ${EXPECTED}.`,
  serialize: (value) => Number(value),
  parseValue: parseRadius,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.FLOAT || ast.kind === Kind.INT) return parseRadius(Number(ast.value));
    if (ast.kind === Kind.STRING) return parseRadius(ast.value);
    throw new GraphQLError(`expected ${EXPECTED}`, { extensions: { code: 'BAD_USER_INPUT' } });
  },
});
