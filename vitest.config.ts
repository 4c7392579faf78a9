import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds; Node's ESM loader picks the CommonJS one (the package has no exports
    // map), and so must the tests, or type-graphql and our code would hold two copies of graphql.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/webgpu/**'],
          setupFiles: ['test/helpers/setup.ts'],
        },
      },
      // One process per file (vitest's default forks pool), each on the webgpu backend: test/webgpu/setup.ts.
      {
        extends: true,
        test: { name: 'webgpu', include: ['test/webgpu/**/*.test.ts'], setupFiles: ['test/webgpu/setup.ts'] },
      },
    ],
  },
});
