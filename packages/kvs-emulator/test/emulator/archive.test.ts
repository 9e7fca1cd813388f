import { DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  ListFragmentsCommand,
  type Fragment,
  type KinesisVideoArchivedMediaClient,
  type ListFragmentsInput,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { ingestJitterMs, Timeline } from '../../src/timeline';
import { at, HOUR_MS, MINUTE_MS, startHarness, START_MS, type Harness } from './support/emulator-harness';

describe('KVS emulator archive timeline', () => {
  const timeline = new Timeline({
    originMs: 1_000_000,
    endMs: 1_000_000 + 60_000,
    retentionMs: HOUR_MS,
    durationsMs: [2000, 1500, 2500],
    duplicateEvery: 4,
    fragmentNumberBase: 91343852333000000000000n,
  });

  it('gives increasing fragment numbers in ingest order and finds fragments by number', () => {
    const fragments = Array.from({ length: 12 }, (_, index) => timeline.fragment(index));

    for (let index = 1; index < fragments.length; index += 1) {
      expect(BigInt(fragments[index]!.fragmentNumber)).toBeGreaterThan(
        BigInt(fragments[index - 1]!.fragmentNumber),
      );
    }
    expect(timeline.byFragmentNumber(fragments[7]!.fragmentNumber, 1_000_000 + 30_000)).toEqual(fragments[7]);
    expect(timeline.byFragmentNumber('91343852333000000000001', 1_000_000 + 30_000)).toBeUndefined();
  });

  it('keeps producer timestamps continuous over the loop and repeats a retried fragment', () => {
    const fragments = Array.from({ length: 10 }, (_, index) => timeline.fragment(index));
    const originals = fragments.filter((fragment) => !fragment.duplicate);

    for (let index = 1; index < originals.length; index += 1) {
      const previous = originals[index - 1]!;
      expect(originals[index]!.producerStartMs).toBe(previous.producerStartMs + previous.durationMs);
    }
    const retry = fragments.find((fragment) => fragment.duplicate)!;
    expect(retry.producerStartMs).toBe(fragments[retry.ingestIndex - 1]!.producerStartMs);
    expect(retry.serverStartMs).toBeGreaterThan(fragments[retry.ingestIndex - 1]!.serverStartMs);
  });

  it('lets a fragment appear once complete and disappear after retention', () => {
    const fragment = timeline.fragment(3);
    const completeMs = fragment.serverStartMs + fragment.durationMs;

    expect(timeline.isAvailable(fragment, completeMs - 1)).toBe(false);
    expect(timeline.isAvailable(fragment, completeMs)).toBe(true);
    expect(timeline.isAvailable(fragment, fragment.serverStartMs + HOUR_MS + 1)).toBe(false);
  });

  it('ingests nothing at or after the end of production', () => {
    const lastMs = 1_000_000 + 60_000;
    const all = [...timeline.all(lastMs + 10_000)];

    expect(all.length).toBeGreaterThan(0);
    expect(all.every((fragment) => fragment.producerStartMs < lastMs)).toBe(true);
  });

  it('delays ingest by a few ms, with a spike above 50 ms every 23 fragments', () => {
    const jitters = Array.from({ length: 46 }, (_, index) => ingestJitterMs(index));

    expect(jitters.every((jitter) => jitter >= 0 && Number.isInteger(jitter))).toBe(true);
    expect(Math.max(...jitters)).toBeGreaterThan(100);
    expect(jitters.filter((jitter) => jitter > 50)).toHaveLength(2);
  });
});

describe('KVS emulator ListFragments', () => {
  let harness: Harness;
  let media: KinesisVideoArchivedMediaClient;

  const allPages = async (input: ListFragmentsInput, pageSize: number): Promise<Fragment[]> => {
    const fragments: Fragment[] = [];
    let NextToken: string | undefined;
    do {
      const page = await media.send(new ListFragmentsCommand({ ...input, MaxResults: pageSize, NextToken }));
      expect(page.Fragments!.length).toBeLessThanOrEqual(pageSize);
      fragments.push(...page.Fragments!);
      NextToken = page.NextToken;
    } while (NextToken);
    return fragments;
  };

  beforeAll(async () => {
    harness = await startHarness({
      quotas: { mediaApiPerStream: 10_000 },
      streams: [
        { name: 'front-door', retentionHours: 24, media: 'fixture' },
        { name: 'short', retentionHours: 1, media: 'fixture-video-only', startedMinutesAgo: 1 },
      ],
    });
    media = await harness.media('front-door', 'LIST_FRAGMENTS');
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('paginates a timestamp range with NextToken without losing or repeating fragments', async () => {
    const input: ListFragmentsInput = {
      StreamName: 'front-door',
      FragmentSelector: {
        FragmentSelectorType: 'SERVER_TIMESTAMP',
        TimestampRange: {
          StartTimestamp: at(START_MS - 2 * MINUTE_MS),
          EndTimestamp: at(START_MS - MINUTE_MS),
        },
      },
    };

    const paged = await allPages(input, 7);
    const whole = await allPages(input, 1000);

    expect(whole).toHaveLength(30);
    expect(paged.map((fragment) => fragment.FragmentNumber)).toEqual(
      whole.map((fragment) => fragment.FragmentNumber),
    );
  });

  it('describes fragments with sizes, lengths and both timestamps', async () => {
    const { Fragments } = await media.send(
      new ListFragmentsCommand({ StreamName: 'front-door', MaxResults: 3 }),
    );

    for (const fragment of Fragments!) {
      expect(fragment.FragmentNumber).toMatch(/^\d{20,}$/);
      expect(fragment.FragmentSizeInBytes).toBeGreaterThan(1000);
      expect(fragment.FragmentLengthInMilliseconds).toBe(2000);
      const ingestDelayMs = fragment.ServerTimestamp!.getTime() - fragment.ProducerTimestamp!.getTime();
      expect(ingestDelayMs).toBeGreaterThanOrEqual(0);
      expect(ingestDelayMs).toBeLessThan(1000);
    }
  });

  it('lists everything retained without a selector, growing as the clock advances', async () => {
    const shortMedia = await harness.media('short', 'LIST_FRAGMENTS');
    const { StreamInfo } = await harness.kvs.send(new DescribeStreamCommand({ StreamName: 'short' }));

    const now = await shortMedia.send(new ListFragmentsCommand({ StreamName: 'short' }));
    harness.clock.advance(10_000);
    const later = await shortMedia.send(new ListFragmentsCommand({ StreamName: 'short' }));
    harness.clock.set(START_MS);

    expect(StreamInfo!.CreationTime!.getTime()).toBe(START_MS - MINUTE_MS);
    expect(now.Fragments!.length).toBeGreaterThanOrEqual(28);
    expect(now.Fragments!.length).toBeLessThanOrEqual(30);
    expect(later.Fragments!.length).toBe(now.Fragments!.length + 5);
  });
});
