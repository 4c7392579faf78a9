// Lint rules for paretune's TypeScript (type-aware). Formatting is prettier's job, not eslint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the dashboard's modules use of the browser (they run in browsers, as they are). */
const BROWSER_GLOBALS = Object.fromEntries(
  ['document', 'window', 'location', 'fetch', 'URL', 'URLSearchParams', 'Node', 'setTimeout'].map((name) => [
    name,
    'readonly',
  ]),
);

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '**/node_modules/', 'plugins-examples/template-ts/'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-shadow': 'off',
      '@typescript-eslint/no-shadow': ['error', { builtinGlobals: false }],
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
    },
  },
  {
    // Orchestration code reads best as named steps; tests are tables and scenarios.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    rules: { 'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/dashboard/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: BROWSER_GLOBALS },
    rules: {
      'no-duplicate-imports': 'error',
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
);
