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

const NO_EMULATOR = {
  group: ['@kvs-url-vending/kvs-emulator'],
  message: 'The emulator is for the local stack and tests.',
};

/**
 * The layering of lambda/ (docs/ARCHITECTURE.md): contract <- core <- adapters <- vend, admin. Each layer
 * imports only from the layers to its left, so the core stays pure and the contract importable from
 * anywhere. The two functions share vend's HTTP helpers; neither imports the other's wiring.
 */
const LAYERS = {
  contract: [
    {
      regex: '^(?!\\./)',
      message: 'The contract is pure data: it imports only its own files.',
    },
  ],
  core: [
    {
      group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*', 'aws-lambda', 'node:*'],
      message: 'lambda/core is pure: it receives ports, it does not reach AWS, Lambda or Node.js itself.',
    },
    {
      group: ['**/adapters/**', '**/vend/**', '**/admin/**'],
      message: 'lambda/core imports only lambda/contract and itself.',
    },
  ],
  adapters: [
    { group: ['**/vend/**', '**/admin/**'], message: 'Adapters serve the core; the handlers wire them.' },
  ],
  admin: [
    {
      group: ['**/vend/handler', '**/vend/create-handler', '**/vend/config'],
      message: "The admin function shares vend's HTTP helpers, never its wiring.",
    },
  ],
};

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
    rules: { 'no-restricted-imports': ['error', { patterns: [...WORKSPACE_IMPORTS, NO_EMULATOR] }] },
  },
  ...Object.entries(LAYERS).map(([layer, patterns]) => ({
    files: [`lambda/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...WORKSPACE_IMPORTS, NO_EMULATOR, ...patterns] }],
    },
  })),
  {
    files: ['lambda/core/**/*.ts', 'lambda/contract/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Configuration is read in lambda/vend/config.ts only.',
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
