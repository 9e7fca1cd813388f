import type { MediaAdmission, MediaKind } from '../../../lambda/core/admission';
import {
  ForbiddenError,
  InvalidRequestError,
  RateLimitedError,
  StreamNotFoundError,
} from '../../../lambda/core/errors';
import type { Caller, Grant } from '../../../lambda/core/model';
import { vendClipUrl, vendImages, type MediaDeps } from '../../../lambda/core/media/vend-media';
import { vendPlaybackUrl } from '../../../lambda/core/vend-playback-url';
import { alice, FakeGrantStore, FakeKvs, grant, HOUR_MS, NOW } from '../fakes';
import { inspectMp4 } from '../../support/mp4';
import { FakeKvsMedia, FakeMediaStore, SETTINGS } from './fakes';

const MINUTE_MS = 60_000;
const bob: Caller = { kind: 'user', id: 'bob', principals: ['user:bob'] };
const iso = (ms: number): string => new Date(ms).toISOString();
const clipBody = (start: number, end: number, extra: Record<string, unknown> = {}) => ({
  start: iso(start),
  end: iso(end),
  ...extra,
});

const mediaGrant = (overrides: Partial<Grant> = {}): Grant =>
  grant({ capabilities: ['PLAY', 'CLIP', 'IMAGES'], maxExpiresInSeconds: 3600, ...overrides });

function setup(grants: readonly Grant[] = [mediaGrant()], settings = SETTINGS) {
  let now = NOW;
  const clock = { now: () => now };
  const kvs = new FakeKvsMedia(NOW - 24 * HOUR_MS, NOW - 1000);
  const store = new FakeMediaStore(clock.now);
  const admitted: { kind: MediaKind; caller: string; stream: string }[] = [];
  let refuse = false;
  const admission: MediaAdmission = {
    admit(kind, caller, stream) {
      admitted.push({ kind, caller: caller.id, stream });
      return refuse ? Promise.reject(new RateLimitedError('Too many clips.', 7)) : Promise.resolve();
    },
  };
  const deps: MediaDeps = { grants: new FakeGrantStore(grants), kvs, store, clock, settings, admission };
  return {
    deps,
    kvs,
    store,
    admitted,
    advance: (ms: number) => {
      now += ms;
    },
    refuseAdmission: () => {
      refuse = true;
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('vendClipUrl', () => {
  const start = NOW - 30 * MINUTE_MS;

  it('makes the clip, stores it and answers a URL held to the configured maximum', async () => {
    const { deps, kvs, store } = setup();

    const result = await vendClipUrl(deps, {
      caller: alice,
      streamName: 'front-door',
      body: clipBody(start, start + 11_999, { expiresInSeconds: 3600 }),
    });

    // Six fragments of 2 s, answered three at a time.
    expect(kvs.calls).toEqual(['ListFragments front-door', 'GetClip front-door', 'GetClip front-door']);
    expect(store.calls).toEqual(['findClip', 'putClip', 'presign 900']);
    expect(result).toMatchObject({
      stream: 'front-door',
      // The footage held, in server timestamps (5 ms after the producer's here).
      start: start + 5,
      end: start + 12_005,
      timestampSource: 'SERVER',
      contentType: 'video/mp4',
      expiresInSeconds: 900,
      expiresAt: NOW + 900_000,
      reused: false,
      grantPrincipal: 'user:alice',
    });
    expect(result.url).toContain('attachment%3B+filename%3D%22front-door-20261125T113000Z.mp4%22');
    const stored = [...store.objects.values()][0]!;
    expect(result.bytes).toBe(stored.bytes);
  });

  it('stores one MP4 of every part, 12 s of H.264', async () => {
    const { deps, store } = setup();
    const bodies: Uint8Array[] = [];
    const putClip = store.putClip.bind(store);
    store.putClip = (clip, body, footage) => {
      bodies.push(body);
      return putClip(clip, body, footage);
    };

    await vendClipUrl(deps, {
      caller: alice,
      streamName: 'front-door',
      body: clipBody(start, start + 11_999),
    });

    const report = inspectMp4(bodies[0]!);
    expect(report.errors).toEqual([]);
    expect(report.videoSeconds).toBe(12);
    expect(report.videoFragments.map((fragment) => fragment.start)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('serves the same clip asked again by the same caller from the store, never another caller’s', async () => {
    const { deps, kvs, store, advance } = setup([mediaGrant(), mediaGrant({ principal: 'user:bob' })]);
    const body = clipBody(start, start + 5_999);

    const first = await vendClipUrl(deps, { caller: alice, streamName: 'front-door', body });
    advance(60_000);
    const again = await vendClipUrl(deps, { caller: alice, streamName: 'front-door', body });
    const bobs = await vendClipUrl(deps, { caller: bob, streamName: 'front-door', body });

    expect(first.reused).toBe(false);
    expect(again.reused).toBe(true);
    expect(again.bytes).toBe(first.bytes);
    expect(bobs.reused).toBe(false);
    // Three fragments each, one GetClip each: alice's clip once, bob's once.
    expect(kvs.calls.filter((call) => call.startsWith('GetClip'))).toHaveLength(2);
    expect(store.calls.filter((call) => call === 'putClip')).toHaveLength(2);
    expect(new Set([...store.objects.keys()]).size).toBe(2);
  });

  it('makes the clip again when the stored one would not outlive the URL', async () => {
    const { deps, store, advance } = setup();
    store.objectLifetimeMs = 20 * MINUTE_MS;
    const body = clipBody(start, start + 5_999, { expiresInSeconds: 600 });

    await vendClipUrl(deps, { caller: alice, streamName: 'front-door', body });
    advance(15 * MINUTE_MS);
    const later = await vendClipUrl(deps, { caller: alice, streamName: 'front-door', body });

    expect(later.reused).toBe(false);
    expect(store.calls.filter((call) => call === 'putClip')).toHaveLength(2);
  });

  it("ends the URL before the grant's notAfter, and within the grant's maximum", async () => {
    const ending = setup([mediaGrant({ notAfter: NOW + 10 * MINUTE_MS })]);
    const short = setup([mediaGrant({ maxExpiresInSeconds: 300 })]);
    const body = clipBody(start, start + 5_999, { expiresInSeconds: 3600 });

    const fromEnding = await vendClipUrl(ending.deps, { caller: alice, streamName: 'front-door', body });
    const fromShort = await vendClipUrl(short.deps, { caller: alice, streamName: 'front-door', body });

    expect(fromEnding.expiresInSeconds).toBe(600);
    expect(fromEnding.expiresAt).toBeLessThanOrEqual(NOW + 10 * MINUTE_MS);
    expect(fromShort.expiresInSeconds).toBe(300);
  });

  it.each<[string, Grant[], Record<string, unknown>]>([
    ['no grant at all', [], {}],
    ['a grant of another caller', [mediaGrant({ principal: 'user:bob' })], {}],
    ['a play-only grant (no capabilities: PLAY)', [grant({ maxExpiresInSeconds: 3600 })], {}],
    ['a grant for images only', [mediaGrant({ capabilities: ['IMAGES'] })], {}],
    ['another stream', [mediaGrant({ streams: ['backyard'] })], {}],
    ['a start older than the archive window', [mediaGrant({ archiveWindowSeconds: 600 })], {}],
    [
      'producer timestamps under an archive window without consent',
      [mediaGrant({ archiveWindowSeconds: 7200 })],
      { timestampSource: 'PRODUCER' },
    ],
    ['an ended grant', [mediaGrant({ notAfter: NOW })], {}],
    [
      'a grant ending before a URL could be made and live a minute',
      [mediaGrant({ notAfter: NOW + 70_000 })],
      {},
    ],
  ])('refuses %s with 403, before the store or KVS is asked', async (_, grants, extra) => {
    const { deps, kvs, store, admitted } = setup(grants);

    const error = await errorOf(
      vendClipUrl(deps, {
        caller: alice,
        streamName: 'front-door',
        body: clipBody(start, start + 5_999, extra),
      }),
    );

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(kvs.calls).toEqual([]);
    expect(store.calls).toEqual([]);
    expect(admitted).toEqual([]);
  });

  it('allows producer timestamps where the grant consents or has no archive window', async () => {
    const consenting = setup([mediaGrant({ archiveWindowSeconds: 7200, producerTimestamps: true })]);
    const unlimited = setup([mediaGrant()]);
    const body = clipBody(start, start + 3_999, { timestampSource: 'PRODUCER' });

    await expect(
      vendClipUrl(consenting.deps, { caller: alice, streamName: 'front-door', body }),
    ).resolves.toMatchObject({ timestampSource: 'PRODUCER' });
    await expect(
      vendClipUrl(unlimited.deps, { caller: alice, streamName: 'front-door', body }),
    ).resolves.toMatchObject({ timestampSource: 'PRODUCER' });
  });

  it('refuses a range longer than the longest clip with a 400 naming it, before reading grants', async () => {
    const { deps, kvs } = setup();
    const grants = deps.grants as FakeGrantStore;

    const error = await errorOf(
      vendClipUrl(deps, { caller: alice, streamName: 'front-door', body: clipBody(start, start + 301_000) }),
    );

    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe(
      'A clip may be at most 300 seconds long: ask for a shorter range, or several.',
    );
    expect(grants.calls).toEqual([]);
    expect(kvs.calls).toEqual([]);
  });

  it('refuses a bad stream name and bad bodies with 400, every problem at once', async () => {
    const { deps } = setup();

    const name = await errorOf(vendClipUrl(deps, { caller: alice, streamName: 'a b', body: {} }));
    const missing = (await errorOf(
      vendClipUrl(deps, {
        caller: alice,
        streamName: 'front-door',
        body: { expiresInSeconds: 30, extra: 1 },
      }),
    )) as InvalidRequestError;
    const future = (await errorOf(
      vendClipUrl(deps, { caller: alice, streamName: 'front-door', body: clipBody(NOW - 1000, NOW + 1000) }),
    )) as InvalidRequestError;

    expect(name).toBeInstanceOf(InvalidRequestError);
    expect(missing.details).toHaveLength(4);
    expect(missing.details).toEqual(
      expect.arrayContaining([
        { field: 'start', issue: 'required' },
        { field: 'end', issue: 'required' },
        { field: 'extra', issue: 'unknown field' },
        { field: 'expiresInSeconds', issue: 'must be an integer from 60 to 43200' },
      ]),
    );
    expect(future.details).toEqual([
      { field: 'end', issue: 'must be in the past when timestampSource is SERVER' },
    ]);
  });

  it('takes a token of the clip limit once authorized, and KVS is not called when refused', async () => {
    const { deps, kvs, admitted, refuseAdmission } = setup();
    refuseAdmission();

    const error = await errorOf(
      vendClipUrl(deps, { caller: alice, streamName: 'front-door', body: clipBody(start, start + 5_999) }),
    );

    expect(error).toBeInstanceOf(RateLimitedError);
    expect(admitted).toEqual([{ kind: 'clip', caller: 'alice', stream: 'front-door' }]);
    expect(kvs.calls).toEqual([]);
  });

  it('passes on what KVS says about the stream', async () => {
    const { deps, kvs } = setup();
    kvs.listFragments = () => Promise.reject(new StreamNotFoundError());

    await expect(
      vendClipUrl(deps, { caller: alice, streamName: 'front-door', body: clipBody(start, start + 5_999) }),
    ).rejects.toBeInstanceOf(StreamNotFoundError);
  });
});

describe('vendImages', () => {
  const start = NOW - 30 * MINUTE_MS;

  it('answers small sets inline, with per-timestamp errors in place', async () => {
    const { deps, kvs, store, admitted } = setup();
    kvs.imageErrors.set(start + 2_000, 'NO_MEDIA');

    const result = await vendImages(deps, {
      caller: alice,
      streamName: 'front-door',
      body: { start: iso(start), end: iso(start + 4_000), intervalSeconds: 1, width: 160, height: 90 },
    });

    expect(result.delivery).toBe('inline');
    expect(
      result.images.map((image) => [image.timestamp - start, image.data !== undefined, image.error]),
    ).toEqual([
      [0, true, undefined],
      [1000, true, undefined],
      [2000, false, 'NO_MEDIA'],
      [3000, true, undefined],
      [4000, true, undefined],
    ]);
    expect(kvs.imageCalls).toEqual([
      expect.objectContaining({ width: 160, height: 90, format: 'JPEG', intervalMs: 1000, maxResults: 5 }),
    ]);
    expect(store.calls).toEqual([]);
    expect(admitted).toEqual([{ kind: 'images', caller: 'alice', stream: 'front-door' }]);
  });

  it('answers URLs instead once the pictures would make the answer too large', async () => {
    const { deps, kvs, store } = setup([mediaGrant()], { ...SETTINGS, inlineImagesMaxBytes: 50 });
    kvs.imageErrors.set(start, 'MEDIA_ERROR');

    const result = await vendImages(deps, {
      caller: alice,
      streamName: 'front-door',
      body: { start: iso(start), end: iso(start + 20_000), intervalSeconds: 10, format: 'PNG' },
    });

    expect(result.delivery).toBe('url');
    expect(result.expiresInSeconds).toBe(300);
    expect(result.images.map((image) => [image.url !== undefined, image.data, image.error])).toEqual([
      [false, undefined, 'MEDIA_ERROR'],
      [true, undefined, undefined],
      [true, undefined, undefined],
    ]);
    expect(store.calls.filter((call) => call === 'putImage')).toHaveLength(2);
    expect([...store.objects.values()].every((object) => object.contentType === 'image/png')).toBe(true);
  });

  it('asks for a long range in windows of at most 300 s, stopping at maxImages', async () => {
    const { deps, kvs } = setup();

    const result = await vendImages(deps, {
      caller: alice,
      streamName: 'front-door',
      body: { start: iso(start), end: iso(start + 3_600_000), intervalSeconds: 10, maxImages: 100 },
    });

    expect(result.images).toHaveLength(100);
    expect(
      kvs.imageCalls.map((call) => [call.start - start, call.end - call.start, call.maxResults]),
    ).toEqual([
      [0, 300_000, 31],
      [310_000, 300_000, 31],
      [620_000, 300_000, 31],
      [930_000, 60_000, 7],
    ]);
  });

  it('refuses without the IMAGES capability, before KVS is asked', async () => {
    const { deps, kvs } = setup([mediaGrant({ capabilities: ['PLAY', 'CLIP'] })]);

    const error = await errorOf(
      vendImages(deps, {
        caller: alice,
        streamName: 'front-door',
        body: { start: iso(start), end: iso(start + 4_000), intervalSeconds: 1 },
      }),
    );

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(kvs.calls).toEqual([]);
  });

  it('checks the range, width and height together, and the longest range', async () => {
    const { deps } = setup();

    const error = (await errorOf(
      vendImages(deps, {
        caller: alice,
        streamName: 'front-door',
        body: { start: iso(start), end: iso(start + 3_601_000), intervalSeconds: 0, width: 160 },
      }),
    )) as InvalidRequestError;

    expect(error.details).toEqual([{ field: 'intervalSeconds', issue: 'must be an integer from 1 to 300' }]);
    const fixed = (await errorOf(
      vendImages(deps, {
        caller: alice,
        streamName: 'front-door',
        body: { start: iso(start), end: iso(start + 3_601_000), intervalSeconds: 1, width: 160 },
      }),
    )) as InvalidRequestError;
    expect(fixed.details).toEqual([
      { field: 'end', issue: 'must be at most 3600 seconds after start' },
      { field: 'height', issue: 'width and height go together (both or neither)' },
    ]);
  });
});

describe('revocations', () => {
  const start = NOW - 30 * MINUTE_MS;
  const revoked = (principal: string) => ({ principal, revokedAt: NOW - HOUR_MS });
  const imagesBody = { start: iso(start), end: iso(start + 4_000), intervalSeconds: 1 };

  function revokedSetup(grants: readonly Grant[], principals: readonly string[]) {
    const setupResult = setup(grants);
    const store = new FakeGrantStore(grants, principals.map(revoked));
    return { ...setupResult, deps: { ...setupResult.deps, grants: store } };
  }

  it('refuses a revoked user clips and images with the 403 of an ungranted request, before admission, the store and KVS', async () => {
    const { deps, kvs, store, admitted } = revokedSetup([mediaGrant()], ['user:alice']);
    const unGranted = await errorOf(
      vendClipUrl(
        { ...deps, grants: new FakeGrantStore([]) },
        { caller: alice, streamName: 'front-door', body: clipBody(start, start + 3_999) },
      ),
    );

    const clip = await errorOf(
      vendClipUrl(deps, { caller: alice, streamName: 'front-door', body: clipBody(start, start + 3_999) }),
    );
    const images = await errorOf(
      vendImages(deps, { caller: alice, streamName: 'front-door', body: imagesBody }),
    );

    expect(clip).toBeInstanceOf(ForbiddenError);
    expect(images).toBeInstanceOf(ForbiddenError);
    expect(clip.message).toBe(unGranted.message);
    expect(admitted).toEqual([]);
    expect(store.calls).toEqual([]);
    expect(kvs.calls).toEqual([]);
  });

  it("stops the clips and images a revoked group grants, while the member's own grants still count", async () => {
    const staff: Caller = { ...alice, principals: ['user:alice', 'group:staff'] };
    const grants = [
      mediaGrant({ principal: 'group:staff', grantId: 'all', streams: ['*'] }),
      mediaGrant({ principal: 'user:alice', grantId: 'own', streams: ['front-door'] }),
    ];
    const { deps } = revokedSetup(grants, ['group:staff']);

    await expect(
      vendImages(deps, { caller: staff, streamName: 'backyard', body: imagesBody }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      vendClipUrl(deps, { caller: staff, streamName: 'backyard', body: clipBody(start, start + 3_999) }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      vendImages(deps, { caller: staff, streamName: 'front-door', body: imagesBody }),
    ).resolves.toMatchObject({ grantPrincipal: 'user:alice' });
  });
});

describe('capabilities and playback', () => {
  it('refuses playback to a grant without PLAY, and allows it to a grant without capabilities', async () => {
    const clipOnly = new FakeGrantStore([
      mediaGrant({ capabilities: ['CLIP'], playbackModes: [], protocols: [] }),
    ]);
    const legacy = new FakeGrantStore([grant()]);
    const kvs = new FakeKvs();

    await expect(
      vendPlaybackUrl(
        { grants: clipOnly, kvs, clock: { now: () => NOW } },
        {
          caller: alice,
          streamName: 'front-door',
          body: {},
        },
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(kvs.sessionRequests).toEqual([]);
    await expect(
      vendPlaybackUrl(
        { grants: legacy, kvs, clock: { now: () => NOW } },
        {
          caller: alice,
          streamName: 'front-door',
          body: {},
        },
      ),
    ).resolves.toMatchObject({ stream: 'front-door' });
  });
});
