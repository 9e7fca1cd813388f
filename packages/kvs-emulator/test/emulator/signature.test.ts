import { createHash, createHmac } from 'node:crypto';
import { KinesisVideoClient, ListStreamsCommand } from '@aws-sdk/client-kinesis-video';
import { SignatureV4 } from '@smithy/signature-v4';
import { REGION, startHarness, type Harness } from './support/emulator-harness';

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

describe('KVS emulator signature verification', () => {
  let harness: Harness;

  const client = (accessKeyId: string, secretAccessKey: string) =>
    new KinesisVideoClient({
      region: REGION,
      endpoint: harness.emulator.endpoint,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });

  const signedListStreams = async (service = 'kinesisvideo', signingDate = new Date()) => {
    const url = new URL(`${harness.emulator.endpoint}/listStreams`);
    const body = '{}';
    const signer = new SignatureV4({
      service,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      sha256: Sha256,
    });
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers: { host: url.host, 'content-type': 'application/json' },
        body,
      },
      { signingDate },
    );
    return { url, headers: signed.headers as Record<string, string> };
  };

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('rejects a request signed with the wrong secret with InvalidSignatureException 403', async () => {
    const wrongSecret = client('local', 'not-local');

    await expect(wrongSecret.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    wrongSecret.destroy();
  });

  it('rejects an unknown access key with UnrecognizedClientException 403', async () => {
    const stranger = client('AKIDEXAMPLE', 'local');

    await expect(stranger.send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
    stranger.destroy();
  });

  it('rejects an unsigned call with 403 UnrecognizedClientException and a lowercase message', async () => {
    const response = await fetch(`${harness.emulator.endpoint}/listStreams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    expect(await response.json()).toEqual({ message: expect.any(String) as unknown });
  });

  it('accepts an independently signed request and rejects it once its body changes', async () => {
    const { url, headers } = await signedListStreams();

    const genuine = await fetch(url, { method: 'POST', headers, body: '{}' });
    const altered = await fetch(url, { method: 'POST', headers, body: '{"MaxResults":1}' });

    expect(genuine.status).toBe(200);
    expect(altered.status).toBe(403);
    expect(altered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('rejects a signature scoped to another service', async () => {
    const { url, headers } = await signedListStreams('kinesis');

    const response = await fetch(url, { method: 'POST', headers, body: '{}' });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  const MINUTE_MS = 60_000;

  it.each([
    [
      'five years ago',
      -5 * 365 * 24 * 60 * MINUTE_MS,
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    ],
    ['six minutes ago', -6 * MINUTE_MS, /^Signature expired: /],
    [
      'six minutes ahead',
      6 * MINUTE_MS,
      /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/,
    ],
    ['three days ahead', 3 * 24 * 60 * MINUTE_MS, /^Signature not yet current: /],
  ])(
    'refuses a request signed %s, by the real clock, with InvalidSignatureException',
    async (_, skewMs, message) => {
      const { url, headers } = await signedListStreams('kinesisvideo', new Date(Date.now() + skewMs));

      const response = await fetch(url, { method: 'POST', headers, body: '{}' });

      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
      expect(((await response.json()) as { message: string }).message).toMatch(message);
    },
  );

  it.each([
    ['four minutes ago', -4 * MINUTE_MS],
    ['four minutes ahead', 4 * MINUTE_MS],
  ])('accepts a request signed %s: AWS allows five minutes of skew', async (_, skewMs) => {
    const { url, headers } = await signedListStreams('kinesisvideo', new Date(Date.now() + skewMs));

    const response = await fetch(url, { method: 'POST', headers, body: '{}' });

    expect(response.status).toBe(200);
  });

  it("checks the signing date against real time, not the emulator's clock", async () => {
    const emulatorNow = harness.emulator.now();
    const { url, headers } = await signedListStreams('kinesisvideo', new Date(emulatorNow));

    const response = await fetch(url, { method: 'POST', headers, body: '{}' });

    expect(Math.abs(emulatorNow - Date.now())).toBeGreaterThan(5 * MINUTE_MS);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });
});
