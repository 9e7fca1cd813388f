#!/usr/bin/env node
// The `kvs-emulator` command inside this repository: it runs the TypeScript sources through tsx, so
// no build step stands between a clone and `npm run kvs-emulator`. A published copy of the package
// runs its compiled `lib/cli.js` instead (see scripts/build.ts).
require('tsx/cjs/api').register();
require('../src/cli.ts');
