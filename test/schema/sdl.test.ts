import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiSdl } from '../../src/schema/schema.js';
import { REPO_ROOT } from '../helpers/index.js';

describe('GraphQL schema', () => {
  it('matches the checked-in schema.graphql (run `npm run schema` after changing the API)', async () => {
    expect(await apiSdl()).toBe(readFileSync(join(REPO_ROOT, 'schema.graphql'), 'utf8'));
  });
});
