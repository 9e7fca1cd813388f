import type { Metafile } from 'esbuild';
import { packageOf, topContributors } from '../../bench/lib/bundle-contributors';

describe('packageOf', () => {
  it('names the innermost package of a node_modules path, scoped or not', () => {
    expect(packageOf('node_modules/@aws-sdk/client-kinesis-video/dist-es/index.js')).toBe(
      '@aws-sdk/client-kinesis-video',
    );
    expect(packageOf('node_modules/jwks-rsa/node_modules/jose/dist/index.js')).toBe('jose');
    expect(packageOf('lambda/vend/handler.ts')).toBe('(own) lambda');
  });
});

describe('topContributors', () => {
  it('sums bytes in output per package, largest first, ignoring source maps', () => {
    const metafile = {
      inputs: {},
      outputs: {
        'out/index.js': {
          bytes: 0,
          imports: [],
          exports: [],
          inputs: {
            'node_modules/zod/a.js': { bytesInOutput: 300 },
            'node_modules/zod/b.js': { bytesInOutput: 200 },
            'node_modules/@smithy/core/c.js': { bytesInOutput: 400 },
            'lambda/core/x.ts': { bytesInOutput: 50 },
          },
        },
        'out/index.js.map': {
          bytes: 0,
          imports: [],
          exports: [],
          inputs: { 'node_modules/big/x.js': { bytesInOutput: 9999 } },
        },
      },
    } as unknown as Metafile;

    expect(topContributors(metafile, 2)).toEqual([
      { name: 'zod', bytes: 500 },
      { name: '@smithy/core', bytes: 400 },
    ]);
  });
});
