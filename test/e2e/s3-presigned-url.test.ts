import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startLocalS3, type LocalS3 } from '../../local/s3/local-s3';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];
const CLIP = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) % 256));

/** A blank page on its own origin, as the demo page is to the S3 server. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface FetchResult {
  ok: boolean;
  status?: number;
  sha256?: string;
  disposition?: string | null;
  error?: string;
}

/** Runs in the page: fetch the URL cross-origin and hash what arrives. */
const FETCH_IN_PAGE = `async (url) => {
  try {
    const response = await fetch(url);
    const bytes = await response.arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { ok: response.ok, status: response.status, sha256, disposition: response.headers.get('content-disposition') };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}`;

if (!existsSync(CHROMIUM)) {
  describe('presigned S3 URLs in Chromium', () => {
    it('runs when Debian Chromium is installed', () => {
      const reason = `${CHROMIUM} is absent (install it with: apt-get install -y chromium)`;
      if (process.env.REQUIRE_BROWSER === '1') {
        throw new Error(`Browser tests are required (REQUIRE_BROWSER=1) but ${reason}.`);
      }
      console.warn(`Browser tests not run: ${reason}. Set REQUIRE_BROWSER=1 to make this a failure.`);
    });
  });
} else {
  describe('presigned S3 URLs in Chromium', () => {
    jest.setTimeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'local-s3-browser-'));
    const userDataDir = mkdtempSync(join(tmpdir(), 'local-s3-chromium-'));
    let allowed: { server: Server; origin: string };
    let stranger: { server: Server; origin: string };
    let s3: LocalS3;
    let client: S3Client;
    let browser: BrowserContext;

    const fetchFrom = async (origin: string, url: string): Promise<FetchResult> => {
      const page: Page = await browser.newPage();
      try {
        await page.goto(origin);
        return await page.evaluate<FetchResult>(`(${FETCH_IN_PAGE})(${JSON.stringify(url)})`);
      } finally {
        await page.close();
      }
    };

    beforeAll(async () => {
      allowed = await pageServer();
      stranger = await pageServer();
      s3 = await startLocalS3({ port: 0, dir, corsOrigins: [allowed.origin] });
      client = new S3Client({ ...s3.clientConfig, maxAttempts: 1 });
      await client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: 'clips/door.mp4',
          Body: CLIP,
          ContentType: 'video/mp4',
        }),
      );
      browser = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
    });

    afterAll(async () => {
      await browser?.close();
      client?.destroy();
      await s3?.stop();
      allowed?.server.close();
      stranger?.server.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(userDataDir, { recursive: true, force: true });
    });

    it('downloads the exact bytes from the configured origin, with the headers the URL asked for', async () => {
      const url = await getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket: s3.bucket,
          Key: 'clips/door.mp4',
          ResponseContentDisposition: 'attachment; filename="door.mp4"',
        }),
        { expiresIn: 120 },
      );

      const result = await fetchFrom(allowed.origin, url);

      expect(result).toEqual({
        ok: true,
        status: 200,
        sha256: createHash('sha256').update(CLIP).digest('hex'),
        disposition: 'attachment; filename="door.mp4"',
      });
    });

    it('lets the page see a tampered URL refused with 403', async () => {
      const url = new URL(
        await getSignedUrl(client, new GetObjectCommand({ Bucket: s3.bucket, Key: 'clips/door.mp4' })),
      );
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64));

      const result = await fetchFrom(allowed.origin, url.toString());

      expect(result).toMatchObject({ ok: false, status: 403 });
    });

    it('keeps the bytes from a page of another origin (the browser blocks the read)', async () => {
      const url = await getSignedUrl(
        client,
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'clips/door.mp4' }),
      );

      const result = await fetchFrom(stranger.origin, url);

      expect(result.ok).toBe(false);
      expect(result.sha256).toBeUndefined();
      expect(result.error).toMatch(/TypeError/);
    });
  });
}
