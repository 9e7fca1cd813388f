import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalPartner } from '../../local/api-gateway/usage-plan';
import { startLocalStack, type LocalStack } from '../../local/start';
import { ffprobe, inspectMp4 } from '../support/mp4';
import { call, errorOf, type ApiResponse } from './support/http';
import { OpenApiContract } from './support/openapi';

const CLIP = '/v1/streams/{streamName}/clip-url';
const IMAGES = '/v1/streams/{streamName}/images';
const PARTNER_CLIP = '/partner/v1/streams/{streamName}/clip-url';
const JPEG_START = [0xff, 0xd8, 0xff];
const PNG_START = [0x89, 0x50, 0x4e, 0x47];

/**
 * Clips and images through the local stack as a caller meets them: the API, the media function in its own
 * instance pool, the KVS emulator, the local S3 server with SigV4 verification; every answer checked
 * against openapi.yaml.
 */
describe('clips and images over HTTP (local stack)', () => {
  jest.setTimeout(120_000);
  const contract = new OpenApiContract();
  const stateDir = mkdtempSync(join(tmpdir(), 'kvs-media-'));
  let stack: LocalStack;
  let partnerKey: string;
  const tokens: Record<string, string> = {};
  const iso = (epochMs: number): string => new Date(epochMs).toISOString();
  /** A past window of the archive, on fragment boundaries of the emulator's 2 s fragments. */
  const past = (secondsAgo: number, seconds: number) => {
    const start = Math.floor((Date.now() - secondsAgo * 1000) / 10_000) * 10_000;
    return { start: iso(start), end: iso(start + seconds * 1000 - 1) };
  };

  beforeAll(async () => {
    const demoPartners = (await import('../../local/partners.json')).default as LocalPartner[];
    stack = await startLocalStack({
      ports: 0,
      stateDir,
      partners: demoPartners,
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    });
    partnerKey = demoPartners[0]!.apiKey;
    tokens.alice = stack.mintToken({ sub: 'alice' });
    tokens.bob = stack.mintToken({ sub: 'bob' });
    tokens.sam = stack.mintToken({ sub: 'sam', groups: ['security'] });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const checked = async (
    template: string,
    stream: string,
    options: Parameters<typeof call>[1],
  ): Promise<ApiResponse> => {
    const path = template.replace('{streamName}', encodeURIComponent(stream));
    const response = await call(`${stack.apiUrl}${path}`, options);
    contract.assertResponse('POST', template, response);
    return response;
  };

  it('vends a clip URL whose download is a playable H.264 MP4 of the requested window', async () => {
    const window = past(600, 20);

    const response = await checked(CLIP, 'front-door', { token: tokens.alice, body: window });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = response.body as {
      url: string;
      bytes: number;
      contentType: string;
      expiresInSeconds: number;
    };
    expect(body.contentType).toBe('video/mp4');
    expect(body.url.startsWith(stack.s3.endpoint)).toBe(true);
    expect(body.url).toContain('X-Amz-Signature=');
    const download = await fetch(body.url);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(bytes.byteLength).toBe(body.bytes);
    const report = inspectMp4(bytes);
    expect(report.errors).toEqual([]);
    expect(report.tracks[0]!.codec).toMatch(/^avc1\./);
    expect(report.videoSeconds).toBe(20);
    const probed = await ffprobe(bytes);
    if (probed) {
      expect(probed.videoCodec).toBe('h264');
      expect(probed.durationSeconds).toBeCloseTo(20, 0);
    }
  });

  it('refuses a clip URL whose signature was tampered with, as S3 does', async () => {
    const response = await checked(CLIP, 'front-door', { token: tokens.alice, body: past(900, 4) });
    const url = new URL((response.body as { url: string }).url);
    const signature = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', `${signature.startsWith('0') ? '1' : '0'}${signature.slice(1)}`);

    expect((await fetch(url)).status).toBe(403);
  });

  it('serves a member of the security group on a stream granted to another user', async () => {
    const response = await checked(CLIP, 'backyard', { token: tokens.sam, body: past(600, 6) });

    expect(response.status).toBe(200);
  });

  it('refuses a range over the longest clip with 400 naming it, before KVS is asked', async () => {
    stack.emulator.resetCounters();
    const response = await checked(CLIP, 'front-door', { token: tokens.alice, body: past(3600, 301) });

    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe('INVALID_REQUEST');
    expect(errorOf(response).message).toContain('at most 300 seconds');
    expect(stack.emulator.counters().GetClip ?? 0).toBe(0);
  });

  it('refuses clips and images to callers whose grants lack the capability, without calling KVS', async () => {
    stack.emulator.resetCounters();
    const bob = await checked(CLIP, 'backyard', { token: tokens.bob, body: past(600, 6) });
    const bobImages = await checked(IMAGES, 'backyard', {
      token: tokens.bob,
      body: { ...past(600, 6), intervalSeconds: 2 },
    });
    const partner = await checked(PARTNER_CLIP, 'front-door', { apiKey: partnerKey, body: past(600, 6) });
    const stranger = await checked(CLIP, 'backyard', { token: tokens.alice, body: past(600, 6) });

    for (const response of [bob, bobImages, partner, stranger]) {
      expect(response.status).toBe(403);
      expect(errorOf(response).code).toBe('FORBIDDEN');
    }
    const counters = stack.emulator.counters();
    expect((counters.GetClip ?? 0) + (counters.ListFragments ?? 0) + (counters.GetImages ?? 0)).toBe(0);
  });

  it('answers thumbnails inline as pictures that decode, JPEG or PNG', async () => {
    const window = past(600, 10);

    const jpeg = await checked(IMAGES, 'front-door', {
      token: tokens.alice,
      body: { ...window, intervalSeconds: 2, width: 320, height: 180 },
    });
    const png = await checked(IMAGES, 'front-door', {
      token: tokens.alice,
      body: { ...window, intervalSeconds: 5, format: 'PNG', maxImages: 2 },
    });

    expect(jpeg.status).toBe(200);
    const images = (jpeg.body as { images: { timestamp: string; data?: string; error?: string }[] }).images;
    expect(images.length).toBeGreaterThanOrEqual(4);
    // KVS may answer one timestamp of a window with an error of its own instead of a picture (the service
    // says so per image, and one bad timestamp never fails the request); every picture made is a JPEG.
    const made = images.filter((image) => image.data !== undefined);
    expect(made.length).toBeGreaterThanOrEqual(3);
    for (const image of images) {
      expect(Date.parse(image.timestamp)).toBeGreaterThanOrEqual(Date.parse(window.start));
      if (image.data === undefined) {
        expect(['NO_MEDIA', 'MEDIA_ERROR']).toContain(image.error);
        continue;
      }
      expect([...Buffer.from(image.data, 'base64').subarray(0, 3)]).toEqual(JPEG_START);
    }
    expect(png.status).toBe(200);
    const pngs = (png.body as { images: { data?: string }[] }).images;
    expect(pngs).toHaveLength(2);
    const pngMade = pngs.find((image) => image.data !== undefined);
    expect(pngMade).toBeDefined();
    const picture = Buffer.from(pngMade!.data!, 'base64');
    expect([...picture.subarray(0, 4)]).toEqual(PNG_START);
    // IHDR: width and height, big-endian, right after the 8-byte signature and the chunk header.
    expect(picture.readUInt32BE(16)).toBeGreaterThan(0);
    expect(picture.readUInt32BE(20)).toBeGreaterThan(0);
  });
});
