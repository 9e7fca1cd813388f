import { parseArgs } from 'node:util';
import { mintToken } from './identity-provider';
import { loadOrCreateSigningKey } from './signing-key';

const USAGE = 'Usage: npm run token -- --sub <user> [--groups g1,g2] [--ttl <seconds>]';

/**
 * Prints a bearer token of the local identity provider. It reads the same key file as `npm start`,
 * so it works whether or not the stack is running.
 */
function main(): void {
  let values: { sub?: string; groups?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        groups: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.sub) fail('--sub is required.');
  const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl);
  const groups = values.groups
    ?.split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
  try {
    const token = mintToken(loadOrCreateSigningKey(), {
      sub: values.sub,
      ...(groups ? { groups } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    });
    process.stdout.write(`${token}\n`);
  } catch (error) {
    fail((error as Error).message);
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

main();
