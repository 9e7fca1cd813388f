/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // These packages ship ES modules only: compile them to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(m3u8-parser|mpd-parser|@videojs|mux.js|mp4box)/)'],
  testTimeout: 30000,
};
