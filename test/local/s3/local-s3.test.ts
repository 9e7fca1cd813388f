import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { PortInUseError } from '../../../local/listen';
import { startLocalS3, type LocalS3 } from '../../../local/s3/local-s3';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** A stand-in for a clip: bytes that are not text, so any re-encoding on the way would show. */
const CLIP = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function get(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The `<Code>` and `<Message>` of an S3 error document. */
function s3Error(body: string): { code?: string; message?: string } {
  return {
    ...(/<Code>([^<]*)<\/Code>/.exec(body)?.[1] === undefined
      ? {}
      : { code: /<Code>([^<]*)<\/Code>/.exec(body)![1] }),
    ...(/<Message>([^<]*)<\/Message>/.exec(body)?.[1] === undefined
      ? {}
      : { message: /<Message>([^<]*)<\/Message>/.exec(body)![1] }),
  };
}

describe('the local S3 server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-s3-test-'));
  let s3: LocalS3;
  let client: S3Client;

  const presign = (key: string, options: { expiresIn?: number; signingDate?: Date } = {}, extra = {}) =>
    getSignedUrl(client, new GetObjectCommand({ Bucket: s3.bucket, Key: key, ...extra }), {
      expiresIn: options.expiresIn ?? 300,
      ...(options.signingDate === undefined ? {} : { signingDate: options.signingDate }),
    });

  beforeAll(async () => {
    s3 = await startLocalS3({ port: 0, dir, bucket: 'clips', corsOrigins: ['http://127.0.0.1:3600'] });
    client = new S3Client({ ...s3.clientConfig, maxAttempts: 1 });
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: 'caller-a/clip 1.mp4',
        Body: CLIP,
        ContentType: 'video/mp4',
      }),
    );
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with the real S3 client', () => {
    it('stores an object and answers it byte for byte, with its type, size and ETag', async () => {
      const head = await client.send(
        new HeadObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' }),
      );
      const object = await client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' }),
      );
      const bytes = await object.Body!.transformToByteArray();

      expect(head).toMatchObject({ ContentType: 'video/mp4', ContentLength: CLIP.length });
      expect(head.ETag).toBe(`"${createHash('md5').update(CLIP).digest('hex')}"`);
      expect(sha256(bytes)).toBe(sha256(CLIP));
    });

    it('takes a stream body, which the SDK sends aws-chunked with a CRC32 trailer, and stores the bytes only', async () => {
      await client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: 'streamed.bin',
          Body: Readable.from([CLIP.subarray(0, 1000), CLIP.subarray(1000)]),
          ContentLength: CLIP.length,
        }),
      );

      const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'streamed.bin' }));

      expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(CLIP));
    });

    it('refuses a body whose CRC32 does not match (BadDigest)', async () => {
      const put = client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: 'corrupt.bin',
          Body: CLIP,
          ChecksumCRC32: 'AAAAAA==',
        }),
      );

      await expect(put).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    });

    it('answers NoSuchKey for an object that is not there', async () => {
      await expect(
        client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'nothing-here' })),
      ).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    });

    it('refuses a client with the wrong secret (SignatureDoesNotMatch) or an unknown key (InvalidAccessKeyId)', async () => {
      const wrongSecret = new S3Client({
        ...s3.clientConfig,
        credentials: { accessKeyId: 'local', secretAccessKey: 'guess' },
        maxAttempts: 1,
      });
      const unknownKey = new S3Client({
        ...s3.clientConfig,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      try {
        await expect(
          wrongSecret.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' })),
        ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
        await expect(
          wrongSecret.send(
            new PutObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4', Body: 'overwritten' }),
          ),
        ).rejects.toBeInstanceOf(S3ServiceException);
        await expect(
          unknownKey.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' })),
        ).rejects.toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
      } finally {
        wrongSecret.destroy();
        unknownKey.destroy();
      }
      const object = await client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' }),
      );
      expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(CLIP));
    });

    it('refuses a signed upload whose body was changed after signing (XAmzContentSHA256Mismatch)', async () => {
      const url = new URL(`${s3.endpoint}/${s3.bucket}/tampered.bin`);
      const signer = new SignatureV4({
        credentials: s3.credentials,
        region: s3.region,
        service: 's3',
        sha256: NodeSha256,
        uriEscapePath: false,
      });
      const original = Buffer.from('the signed body');
      const signed = await signer.sign({
        method: 'PUT',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host, 'x-amz-content-sha256': sha256(original), 'content-length': '15' },
        body: original,
      });

      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const put = request(url, { method: 'PUT', headers: signed.headers }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        put.on('error', reject);
        put.end(Buffer.from('a swapped body'.padEnd(15, '!')));
      });

      expect(answer.status).toBe(400);
      expect(s3Error(answer.body).code).toBe('XAmzContentSHA256Mismatch');
      await expect(
        client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'tampered.bin' })),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    });
  });

  describe('presigned GET URLs', () => {
    it('download the exact bytes, with the response headers the URL asked for', async () => {
      const url = await presign(
        'caller-a/clip 1.mp4',
        {},
        {
          ResponseContentDisposition: 'attachment; filename="doorbell.mp4"',
        },
      );

      const response = await fetch(url);
      const bytes = new Uint8Array(await response.arrayBuffer());

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('video/mp4');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="doorbell.mp4"');
      expect(sha256(bytes)).toBe(sha256(CLIP));
    });

    it('serve byte ranges, as players and download managers ask', async () => {
      const url = await presign('caller-a/clip 1.mp4');

      const response = await fetch(url, { headers: { range: 'bytes=100-199' } });
      const bytes = Buffer.from(await response.arrayBuffer());

      expect(response.status).toBe(206);
      expect(bytes.equals(CLIP.subarray(100, 200))).toBe(true);
    });

    it.each([
      ['a zeroed signature', (url: URL) => url.searchParams.set('X-Amz-Signature', '0'.repeat(64))],
      [
        'one changed character of the signature',
        (url: URL) => {
          const signature = url.searchParams.get('X-Amz-Signature')!;
          url.searchParams.set(
            'X-Amz-Signature',
            `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
          );
        },
      ],
      ['another object', (url: URL) => (url.pathname = url.pathname.replace('clip%201.mp4', 'clip%202.mp4'))],
      [
        'another caller’s prefix',
        (url: URL) => (url.pathname = url.pathname.replace('caller-a', 'caller-b')),
      ],
      ['a longer lifetime', (url: URL) => url.searchParams.set('X-Amz-Expires', '604800')],
      ['an added response header', (url: URL) => url.searchParams.set('response-content-type', 'text/html')],
      [
        'a different signing time',
        (url: URL) =>
          url.searchParams.set(
            'X-Amz-Date',
            url.searchParams.get('X-Amz-Date')!.replace(/(\d)Z$/, (_, digit) => `${digit === '0' ? 1 : 0}Z`),
          ),
      ],
    ])('refuse %s with 403 SignatureDoesNotMatch and S3’s error document', async (_case, tamper) => {
      const url = new URL(await presign('caller-a/clip 1.mp4'));
      tamper(url);

      const answer = await get(url.toString());

      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toBe('application/xml');
      expect(answer.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>/);
      expect(s3Error(answer.body)).toEqual({
        code: 'SignatureDoesNotMatch',
        message:
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      });
      expect(answer.body).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId><HostId>/);
      // The error never echoes a signature: a valid one is a bearer secret.
      expect(answer.body).not.toContain(url.searchParams.get('X-Amz-Signature')!);
    });

    it('refuse a URL signed with a forged secret', async () => {
      const forger = new S3Client({
        ...s3.clientConfig,
        credentials: { accessKeyId: 'local', secretAccessKey: 'forged' },
      });
      const url = await getSignedUrl(
        forger,
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' }),
      );
      forger.destroy();

      const answer = await get(url);

      expect(answer.status).toBe(403);
      expect(s3Error(answer.body).code).toBe('SignatureDoesNotMatch');
    });

    it('refuse an expired URL with 403 AccessDenied "Request has expired"', async () => {
      const url = await presign('caller-a/clip 1.mp4', {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 61_000),
      });

      const answer = await get(url);

      expect(answer.status).toBe(403);
      expect(s3Error(answer.body)).toEqual({ code: 'AccessDenied', message: 'Request has expired' });
      expect(answer.body).toContain('<X-Amz-Expires>60</X-Amz-Expires>');
    });

    it('refuse a lifetime over a week, and a request carrying no signature at all', async () => {
      const tooLong = new URL(await presign('caller-a/clip 1.mp4'));
      tooLong.searchParams.set('X-Amz-Expires', '604801');

      const long = await get(tooLong.toString());
      const anonymous = await get(`${s3.endpoint}/${s3.bucket}/caller-a/clip%201.mp4`);

      expect([long.status, s3Error(long.body).code]).toEqual([400, 'AuthorizationQueryParametersError']);
      expect([anonymous.status, s3Error(anonymous.body)]).toEqual([
        403,
        { code: 'AccessDenied', message: 'Access Denied' },
      ]);
    });

    it('refuse x-amz-* headers the signature does not cover, as S3 does (HeadersNotSigned)', async () => {
      const url = await presign('caller-a/clip 1.mp4');
      const plain = await get(url);
      const withHeader = await get(url, { headers: { 'x-amz-server-side-encryption': 'AES256' } });
      // The same with an Authorization header: signed over host and the payload hash, then one more added.
      const signer = new SignatureV4({
        credentials: s3.clientConfig.credentials,
        region: s3.clientConfig.region,
        service: 's3',
        sha256: NodeSha256,
        uriEscapePath: false,
      });
      const endpoint = new URL(s3.endpoint);
      const signed = await signer.sign({
        method: 'GET',
        protocol: 'http:',
        hostname: endpoint.hostname,
        port: Number(endpoint.port),
        path: `/${s3.bucket}/caller-a/clip%201.mp4`,
        headers: { host: endpoint.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      });
      const headerUrl = `${s3.endpoint}/${s3.bucket}/caller-a/clip%201.mp4`;
      const signedOnly = await get(headerUrl, { headers: signed.headers });
      const added = await get(headerUrl, { headers: { ...signed.headers, 'x-amz-meta-added': 'yes' } });

      expect([plain.status, signedOnly.status]).toEqual([200, 200]);
      for (const refused of [withHeader, added]) {
        expect(refused.status).toBe(403);
        expect(s3Error(refused.body)).toEqual({
          code: 'AccessDenied',
          message: 'There were headers present in the request which were not signed',
        });
      }
      expect(withHeader.body).toContain('<HeadersNotSigned>x-amz-server-side-encryption</HeadersNotSigned>');
      expect(added.body).toContain('<HeadersNotSigned>x-amz-meta-added</HeadersNotSigned>');
    });

    it('read `+` in the query as a space and %2B as a plus, as S3 does, so a URL cannot change under its signature', async () => {
      const spaced = await presign(
        'caller-a/clip 1.mp4',
        {},
        {
          ResponseContentDisposition: 'attachment; filename="door bell.mp4"',
        },
      );
      const plus = await presign(
        'caller-a/clip 1.mp4',
        {},
        {
          ResponseContentDisposition: 'attachment; filename="a+b.mp4"',
        },
      );
      expect(spaced).toContain('door%20bell');
      expect(plus).toContain('a%2Bb');

      // A space written `+` (form encoding) is the same URL; a plus turned into `+` is not.
      const spacedAsPlus = await get(spaced.replace('door%20bell', 'door+bell'));
      const plusAsIs = await get(plus);
      const plusTampered = await get(plus.replace('a%2Bb', 'a+b'));

      expect([spacedAsPlus.status, spacedAsPlus.headers.get('content-disposition')]).toEqual([
        200,
        'attachment; filename="door bell.mp4"',
      ]);
      expect([plusAsIs.status, plusAsIs.headers.get('content-disposition')]).toEqual([
        200,
        'attachment; filename="a+b.mp4"',
      ]);
      expect([plusTampered.status, s3Error(plusTampered.body).code]).toEqual([403, 'SignatureDoesNotMatch']);
    });

    it('answer a HEAD with the status alone', async () => {
      const url = new URL(
        await getSignedUrl(client, new HeadObjectCommand({ Bucket: s3.bucket, Key: 'caller-a/clip 1.mp4' })),
      );
      const good = await fetch(url, { method: 'HEAD' });
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
      const bad = await fetch(url, { method: 'HEAD' });

      expect([good.status, good.headers.get('content-length')]).toEqual([200, String(CLIP.length)]);
      expect([bad.status, await bad.text()]).toEqual([403, '']);
    });
  });

  describe('other signers', () => {
    it('accepts a GET URL presigned with @smithy/signature-v4 alone, without the S3 client', async () => {
      const url = new URL(`${s3.endpoint}/${s3.bucket}/caller-a/clip%201.mp4`);
      const signer = new SignatureV4({
        credentials: s3.credentials,
        region: s3.region,
        service: 's3',
        sha256: NodeSha256,
        uriEscapePath: false,
      });
      // S3 takes UNSIGNED-PAYLOAD as a presigned URL's payload hash: a header for the signer, never sent.
      const presigned = await signer.presign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          query: { 'response-content-disposition': 'attachment' },
          headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        },
        {
          expiresIn: 60,
          unsignableHeaders: new Set(['x-amz-content-sha256']),
          unhoistableHeaders: new Set(['x-amz-content-sha256']),
        },
      );
      for (const [name, value] of Object.entries(presigned.query ?? {}))
        url.searchParams.set(name, String(value));

      const response = await fetch(url);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe('attachment');
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(CLIP));
    });

    it('checks boto3’s signatures too: its upload passes, its presigned URL downloads, and tampered fails', async () => {
      if (
        !existsSync(PYTHON) ||
        (await run(PYTHON, ['-c', 'import boto3']).then(
          () => false,
          () => true,
        ))
      ) {
        if (process.env.REQUIRE_AWS_TOOLS === '1')
          throw new Error(`boto3 for ${PYTHON} is required (REQUIRE_AWS_TOOLS=1)`);
        console.warn(
          `boto3 for ${PYTHON} is absent: its signatures are not checked. Set REQUIRE_AWS_TOOLS=1 to fail.`,
        );
        return;
      }
      const script = `
import boto3, sys
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='local',
    aws_secret_access_key='local', config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
s3.put_object(Bucket=sys.argv[2], Key='from boto3/note.txt', Body=b'written by boto3', ContentType='text/plain')
print(s3.generate_presigned_url('get_object', Params={'Bucket': sys.argv[2], 'Key': 'from boto3/note.txt'}, ExpiresIn=60))
`;
      const { stdout } = await run(PYTHON, ['-c', script, s3.endpoint, s3.bucket], {
        env: {
          PATH: process.env.PATH,
          HOME: '/nonexistent',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        timeout: 60_000,
      });
      const url = new URL(stdout.trim());

      const good = await get(url.toString());
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
      const tampered = await get(url.toString());

      expect([good.status, good.body]).toEqual([200, 'written by boto3']);
      expect(url.searchParams.has('X-Amz-Content-Sha256')).toBe(false);
      expect([tampered.status, s3Error(tampered.body).code]).toEqual([403, 'SignatureDoesNotMatch']);
    });
  });

  describe('CORS for the demo page', () => {
    const demo = 'http://127.0.0.1:3600';

    it('lets a configured origin read a presigned URL, and says nothing to any other origin', async () => {
      const url = await presign('caller-a/clip 1.mp4');

      const allowed = await fetch(url, { headers: { origin: demo } });
      const other = await fetch(url, { headers: { origin: 'http://evil.example' } });

      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(demo);
      expect(allowed.headers.get('access-control-expose-headers')).toContain('Content-Disposition');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('answers a preflight for GET from a configured origin and refuses other origins and methods', async () => {
      const preflight = (origin: string, method: string) =>
        fetch(`${s3.endpoint}/${s3.bucket}/caller-a/clip%201.mp4`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': method,
            'access-control-request-headers': 'range',
          },
        });

      const ok = await preflight(demo, 'GET');
      const otherOrigin = await preflight('http://evil.example', 'GET');
      const put = await preflight(demo, 'PUT');

      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(demo);
      expect(ok.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
      expect(ok.headers.get('access-control-allow-headers')).toBe('range');
      expect(otherOrigin.status).toBe(403);
      expect(s3Error(await otherOrigin.text()).code).toBe('AccessForbidden');
      expect(put.status).toBe(403);
    });

    it('lets the browser read the error of an expired URL from a configured origin', async () => {
      const url = await presign('caller-a/clip 1.mp4', {
        expiresIn: 1,
        signingDate: new Date(Date.now() - 5000),
      });

      const response = await fetch(url, { headers: { origin: demo } });

      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBe(demo);
    });
  });
});

describe('the local S3 server, started and stopped', () => {
  it('keeps its objects in its folder across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-s3-restart-'));
    try {
      const first = await startLocalS3({ port: 0, dir, bucket: 'kept' });
      const writer = new S3Client({ ...first.clientConfig, maxAttempts: 1 });
      await writer.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a.txt', Body: 'still here' }));
      writer.destroy();
      await first.stop();

      const second = await startLocalS3({ port: 0, dir, bucket: 'kept' });
      const reader = new S3Client({ ...second.clientConfig, maxAttempts: 1 });
      const object = await reader.send(new GetObjectCommand({ Bucket: 'kept', Key: 'a.txt' }));
      const text = await object.Body!.transformToString();
      reader.destroy();
      await second.stop();

      expect(text).toBe('still here');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows an injected clock: a URL expires when that clock passes its lifetime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-s3-clock-'));
    let nowMs = Date.now();
    const s3 = await startLocalS3({ port: 0, dir, now: () => nowMs });
    const client = new S3Client({ ...s3.clientConfig, maxAttempts: 1 });
    try {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'k', Body: 'bytes' }));
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: s3.bucket, Key: 'k' }), {
        expiresIn: 120,
      });

      const fresh = await get(url);
      nowMs += 121_000;
      const stale = await get(url);

      expect([fresh.status, fresh.body]).toEqual([200, 'bytes']);
      expect([stale.status, s3Error(stale.body).message]).toEqual([403, 'Request has expired']);
    } finally {
      client.destroy();
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names S3_PORT when its port is taken, and refuses a bucket name S3 would refuse', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'local-s3-port-'));
    try {
      await expect(startLocalS3({ port, dir })).rejects.toBeInstanceOf(PortInUseError);
      await expect(startLocalS3({ port, dir })).rejects.toThrow(/S3_PORT/);
      await expect(startLocalS3({ port: 0, dir, bucket: 'Not_A_Bucket' })).rejects.toThrow(
        /not a valid S3 bucket name/,
      );
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
