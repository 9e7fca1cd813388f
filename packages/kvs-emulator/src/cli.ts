import { loadStreamConfigs, startKvsEmulator } from './index';

/** `npm run kvs-emulator`: KVS_PORT (default 4567), KVS_STREAMS_FILE (default the demo streams). */
async function main(): Promise<void> {
  const streamsFile = process.env.KVS_STREAMS_FILE;
  const emulator = await startKvsEmulator({
    streams: streamsFile ? loadStreamConfigs(streamsFile) : undefined,
    host: process.env.KVS_HOST ?? '127.0.0.1',
  });
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
  process.exit(1);
});
