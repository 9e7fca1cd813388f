import { connect } from 'node:net';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis-video';
import { startHarness, type Harness } from './support/emulator-harness';

/** Sends `head` as is over a fresh socket and resolves with everything the emulator answers. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

describe('KVS emulator request targets', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it.each(['//[', '//[::1', '//listStreams', 'http://[/listStreams', '*'])(
    'answers 400 to the request target %s and keeps serving',
    async (target) => {
      const answer = await rawRequest(
        harness.emulator.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      const listed = await harness.kvs.send(new ListStreamsCommand({}));

      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(/x-amzn-errortype: InvalidRequestTarget/i);
      expect(listed.StreamInfoList?.length).toBeGreaterThan(0);
    },
  );
});
