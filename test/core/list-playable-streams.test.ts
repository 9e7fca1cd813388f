import { listPlayableStreams } from '../../lambda/core/list-playable-streams';
import type { Caller } from '../../lambda/core/model';
import { alice, FakeGrantStore, FakeKvs, grant, HOUR_MS, NOW } from './fakes';

const clock = { now: () => NOW };

describe('listPlayableStreams', () => {
  it('lists exact-name grants without calling KVS', async () => {
    const kvs = new FakeKvs();
    const store = new FakeGrantStore([
      grant({ streams: ['front-door', 'offline-cam'], playbackModes: ['LIVE'] }),
    ]);
    const streams = await listPlayableStreams({ grants: store, kvs, clock }, alice);
    expect(streams).toEqual([
      {
        stream: 'front-door',
        capabilities: ['PLAY'],
        playbackModes: ['LIVE'],
        protocols: ['HLS', 'DASH'],
        maxExpiresInSeconds: 900,
      },
      {
        stream: 'offline-cam',
        capabilities: ['PLAY'],
        playbackModes: ['LIVE'],
        protocols: ['HLS', 'DASH'],
        maxExpiresInSeconds: 900,
      },
    ]);
    expect(kvs.listedPrefixes).toEqual([]);
  });

  it('lists streams of clip- and images-only grants, and of grants with under 300 s left that need no session', async () => {
    const kvs = new FakeKvs();
    const store = new FakeGrantStore([
      grant({ grantId: 'i', streams: ['porch'], capabilities: ['IMAGES'], playbackModes: [], protocols: [] }),
      grant({
        grantId: 'c',
        streams: ['shed'],
        capabilities: ['CLIP', 'PLAY'],
        notAfter: NOW + 120_000,
      }),
    ]);
    const streams = await listPlayableStreams({ grants: store, kvs, clock }, alice);
    expect(streams).toEqual([
      { stream: 'porch', capabilities: ['IMAGES'], playbackModes: [], protocols: [] },
      {
        stream: 'shed',
        // Too little time left for a playback session (300 s at least): the listing does not offer PLAY.
        capabilities: ['CLIP'],
        clipUrlMaxSeconds: 120,
        playbackModes: [],
        protocols: [],
        notAfter: NOW + 120_000,
      },
    ]);
  });

  it('expands prefix grants with the streams KVS lists, once per prefix', async () => {
    const kvs = new FakeKvs(['site-a', 'site-a-1', 'site-ab', 'site-b-1']);
    const store = new FakeGrantStore([
      grant({ grantId: 'a', streams: ['site-a-*'] }),
      grant({ grantId: 'b', streams: ['site-a-*', 'site-b*'] }),
    ]);
    const streams = await listPlayableStreams({ grants: store, kvs, clock }, alice);
    expect(streams.map((item) => item.stream)).toEqual(['site-a-1', 'site-b-1']);
    expect(kvs.listedPrefixes.sort()).toEqual(['site-a-', 'site-b']);
  });

  it('keeps only names the pattern covers even if the listing returns more', async () => {
    const kvs = new FakeKvs();
    kvs.listStreamNames = () => Promise.resolve(['site-a-1', 'elsewhere', 'bad name']);
    const store = new FakeGrantStore([grant({ streams: ['site-a-*'] })]);
    const streams = await listPlayableStreams({ grants: store, kvs, clock }, alice);
    expect(streams.map((item) => item.stream)).toEqual(['site-a-1']);
  });

  it('merges what several grants allow on one stream and sorts by name', async () => {
    const caller: Caller = { kind: 'user', id: 'alice', principals: ['user:alice', 'group:security'] };
    const kvs = new FakeKvs(['backyard', 'front-door']);
    const store = new FakeGrantStore([
      grant({
        grantId: 'a',
        streams: ['front-door'],
        playbackModes: ['ON_DEMAND'],
        protocols: ['DASH'],
        maxExpiresInSeconds: 600,
        archiveWindowSeconds: 60,
        notAfter: NOW + 2 * HOUR_MS,
      }),
      grant({
        grantId: 'b',
        principal: 'group:security',
        streams: ['*'],
        playbackModes: ['LIVE'],
        protocols: ['HLS'],
        maxExpiresInSeconds: 1200,
        archiveWindowSeconds: 3600,
        notAfter: NOW + 3 * HOUR_MS,
      }),
    ]);
    const streams = await listPlayableStreams({ grants: store, kvs, clock }, caller);
    expect(streams).toEqual([
      {
        stream: 'backyard',
        capabilities: ['PLAY'],
        playbackModes: ['LIVE'],
        protocols: ['HLS'],
        maxExpiresInSeconds: 1200,
        archiveWindowSeconds: 3600,
        notAfter: NOW + 3 * HOUR_MS,
      },
      {
        stream: 'front-door',
        capabilities: ['PLAY'],
        playbackModes: ['LIVE', 'ON_DEMAND'],
        protocols: ['HLS', 'DASH'],
        maxExpiresInSeconds: 1200,
        archiveWindowSeconds: 3600,
        notAfter: NOW + 3 * HOUR_MS,
      },
    ]);
  });

  it('treats a grant without archive window or end date as unlimited when merging', async () => {
    const store = new FakeGrantStore([
      grant({ grantId: 'a', archiveWindowSeconds: 60, notAfter: NOW + HOUR_MS }),
      grant({ grantId: 'b' }),
    ]);
    const [stream] = await listPlayableStreams({ grants: store, kvs: new FakeKvs(), clock }, alice);
    expect(stream).toEqual({
      stream: 'front-door',
      capabilities: ['PLAY'],
      playbackModes: ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'],
      protocols: ['HLS', 'DASH'],
      maxExpiresInSeconds: 900,
    });
  });

  it('skips expired grants, grants too close to their end for a session, and grants of other principals', async () => {
    const kvs = new FakeKvs();
    const store = new FakeGrantStore([
      grant({ grantId: 'old', streams: ['garage', 'site-*'], notAfter: NOW }),
      grant({ grantId: 'ending', streams: ['front-door'], notAfter: NOW + 299_999 }),
      grant({ grantId: 'bob', principal: 'user:bob', streams: ['backyard'] }),
    ]);
    expect(await listPlayableStreams({ grants: store, kvs, clock }, alice)).toEqual([]);
    expect(kvs.listedPrefixes).toEqual([]);
  });
});
