#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadStreamConfigs, startKvsEmulator, type EmulatorOptions } from './index';

const USAGE = `Usage: kvs-emulator [--port N] [--host ADDRESS] [--streams FILE]

Starts a local Amazon Kinesis Video Streams emulator; Ctrl-C stops it.

  --port N          port to listen on, 0 = any free port   (env KVS_PORT, default 4567)
  --host ADDRESS    address to listen on                    (env KVS_HOST, default 127.0.0.1)
  --streams FILE    JSON file of the streams to emulate     (env KVS_STREAMS_FILE, default the demo streams)
  -h, --help        print this help

A flag wins over its environment variable.
`;

class UsageError extends Error {}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number (0-65535), got ${raw}`);
  }
  return port;
}

/** The emulator's options from the command line and the environment (a flag wins over its variable). */
function optionsFrom(argv: readonly string[], env: NodeJS.ProcessEnv): EmulatorOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        streams: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const streamsFile = values.streams ?? env.KVS_STREAMS_FILE;
  return {
    host: values.host ?? env.KVS_HOST ?? '127.0.0.1',
    // Without --port, startKvsEmulator reads KVS_PORT itself.
    ...(values.port === undefined ? {} : { port: parsePort(values.port) }),
    ...(streamsFile ? { streams: loadStreamConfigs(streamsFile) } : {}),
  };
}

async function main(): Promise<void> {
  const options = optionsFrom(process.argv.slice(2), process.env);
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await startKvsEmulator(options);
  const lines = [
    `KVS emulator listening on ${emulator.endpoint}`,
    `  region:      ${emulator.region}`,
    `  credentials: AWS_ACCESS_KEY_ID=${emulator.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${emulator.credentials.secretAccessKey}`,
    `  try:         aws kinesisvideo list-streams --endpoint-url ${emulator.endpoint} --region ${emulator.region}`,
    `  admin:       ${emulator.endpoint}/_admin/counters, ${emulator.endpoint}/_admin/faults`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`kvs-emulator: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`kvs-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof UsageError) {
    process.stderr.write(`\n${USAGE}`);
    process.exit(2);
  }
  process.exit(1);
});
