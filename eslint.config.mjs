import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const WORKSPACE_IMPORTS = [
  {
    group: ['**/packages/*', '**/packages/*/**'],
    message: 'Import a workspace package by its name (e.g. @kvs-url-vending/kvs-emulator).',
  },
  {
    group: ['@kvs-url-vending/*/*'],
    message: 'Use the package entry point; its internals are not part of its API.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'coverage/',
      '.local/',
      'local/demo/web/vendor/',
      'packages/*/dist/',
      'packages/client/src/generated/',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['lambda/**/*.ts'], rules: { 'no-console': 'error' } },
  {
    // Workspace packages are used like any other package: by name, through their public entry point.
    // (Each package checks its own side of the boundary: packages/*/test/package/boundary.test.ts.)
    // test/client holds the client package's own tests (its exports point at its ESM build, which jest
    // does not load), so they read its sources.
    ignores: ['packages/**', 'test/client/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: WORKSPACE_IMPORTS }] },
  },
  {
    // The vend function's bundle must never carry the local stack's KVS emulator.
    files: ['lambda/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...WORKSPACE_IMPORTS,
            {
              group: ['@kvs-url-vending/kvs-emulator'],
              message: 'The emulator is for the local stack and tests.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
