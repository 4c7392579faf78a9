import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, Kind, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSdl } from '../../src/schema/schema.js';
import { graphqlBlocks, REPO_ROOT } from '../helpers/index.js';

describe('GraphQL schema', () => {
  it('matches the checked-in schema.graphql (run `npm run schema` after changing the API)', async () => {
    expect(await apiSdl()).toBe(readFileSync(join(REPO_ROOT, 'schema.graphql'), 'utf8'));
  });

  it('accepts every query of docs/graphql.md as written', async () => {
    const schema = buildSchema(await apiSdl());
    const blocks = graphqlBlocks('docs/graphql.md');
    expect(blocks.length).toBeGreaterThan(5);
    // A block may list operations to send one at a time (the mutations), so each is validated on its own.
    const problems = blocks.flatMap(({ line, text }) =>
      parse(text).definitions.flatMap((definition) =>
        validate(schema, { kind: Kind.DOCUMENT, definitions: [definition] }).map(
          (error) => `docs/graphql.md:${line}: ${error.message}`,
        ),
      ),
    );
    expect(problems).toEqual([]);
  });
});
