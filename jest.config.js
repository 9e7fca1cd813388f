/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The workspace packages' own tests run here too, under the same leak guard.
  roots: ['<rootDir>/test', '<rootDir>/packages/kvs-emulator/test'],
  testMatch: ['**/*.test.ts'],
  // The client package imports its own modules as `./x.js` (what Node.js ESM needs); jest finds `./x.ts`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // Middy (and a few other packages) ship ES modules only: compile them to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|m3u8-parser|mpd-parser|@videojs|mux.js|mp4box)/)'],
  // Every file runs under a leak guard: no log line may carry a session token or a JWT.
  setupFilesAfterEnv: ['<rootDir>/test/support/suite-leak-guard.ts'],
  testTimeout: 30000,
};
