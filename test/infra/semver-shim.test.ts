import { createRequire } from 'node:module';
import { satisfies } from '../../lib/bundle-shims/semver';

// The real parser, as jsonwebtoken gets it outside the bundle.
const semver = createRequire(__filename)('semver') as { satisfies(version: string, range: string): boolean };

const JSONWEBTOKEN_RANGES = ['>=15.7.0', '^6.12.0 || >=8.0.0', '>=16.9.0'];
const VERSIONS = [
  'v0.12.18',
  'v4.9.1',
  'v6.11.5',
  'v6.12.0',
  'v6.17.1',
  'v7.10.1',
  'v8.0.0',
  'v15.6.9',
  'v15.7.0',
  'v16.8.0',
  'v16.9.0',
  'v18.20.4',
  'v20.20.2',
  'v22.12.0',
  'v24.3.0',
  process.version,
];

describe('the semver stand-in of the vend bundle', () => {
  it.each(JSONWEBTOKEN_RANGES)('answers %s exactly as semver does, for every Node.js version', (range) => {
    for (const version of VERSIONS)
      expect([version, satisfies(version, range)]).toEqual([version, semver.satisfies(version, range)]);
  });

  it('agrees with semver on caret ranges, 0.x included', () => {
    for (const range of ['^0.2.3', '^1.2.3', '^2.0.0 || >=5.1.0']) {
      for (const version of [
        '0.2.2',
        '0.2.3',
        '0.2.9',
        '0.3.0',
        '1.2.2',
        '1.2.3',
        '1.9.0',
        '2.0.0',
        '2.5.0',
        '3.0.0',
        '5.1.0',
        '6.0.0',
      ]) {
        expect([range, version, satisfies(version, range)]).toEqual([
          range,
          version,
          semver.satisfies(version, range),
        ]);
      }
    }
  });

  it('refuses ranges it does not understand instead of guessing', () => {
    expect(() => satisfies('v20.0.0', '~1.2.3')).toThrow(/Unsupported range/);
    expect(() => satisfies('v20.0.0', '1.x')).toThrow(/Unsupported range/);
    expect(() => satisfies('not-a-version', '>=1.0.0')).toThrow(/Invalid version/);
  });
});
