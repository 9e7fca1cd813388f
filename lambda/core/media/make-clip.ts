import { InvalidRequestError, NoMediaError, UpstreamError, UpstreamTimeoutError } from '../errors';
import type { Clock } from '../ports';
import { parseClipPart, stitchClip, type ClipPartPlacement } from './mp4-clip';
import type { ArchiveRange, FragmentInfo, KvsMediaPort } from './ports';

/** GetClip calls one clip may take at most: far beyond what the longest configured clip needs. */
const MAX_PARTS = 50;

export interface MakeClipOptions {
  readonly clock: Clock;
  /** Epoch ms by which the clip must be made; past it, 504. */
  readonly deadline: number;
  /** The largest clip made (bytes of fragment media, as ListFragments counts them, and of the MP4). */
  readonly maxBytes: number;
}

export interface MadeClip {
  readonly bytes: Uint8Array;
  /** The footage the clip holds: its first fragment's timestamp and its last one's end (epoch ms). */
  readonly start: number;
  readonly end: number;
  readonly durationSeconds: number;
  /** GetClip calls it took. */
  readonly parts: number;
}

const MB = 1024 * 1024;

/**
 * Makes one MP4 of a range. ListFragments first: it says which fragments the range holds, how large they
 * are (a clip too large is refused before anything is downloaded) and where each starts. Then GetClip from
 * the first fragment; KVS answers at most 200 fragments or 100 MB, so while the answer ends before the
 * range does, GetClip again from the first fragment it did not hold, found by the producer timestamps
 * (the clock the MP4's decode times follow). The parts are joined into one file that starts at 0:00, each
 * placed by the producer timestamp of its first fragment, so gaps in the stream stay gaps.
 */
export async function makeClip(
  kvs: KvsMediaPort,
  range: ArchiveRange,
  options: MakeClipOptions,
): Promise<MadeClip> {
  const timestampOf = (fragment: FragmentInfo): number =>
    range.timestampSource === 'SERVER' ? fragment.serverTimestamp : fragment.producerTimestamp;
  const listed = await kvs.listFragments(range, options.deadline);
  const seen = new Set<number>();
  const fragments = listed
    .filter((fragment) => timestampOf(fragment) >= range.start && timestampOf(fragment) <= range.end)
    .sort((a, b) => timestampOf(a) - timestampOf(b))
    // A producer's retry is the same fragment twice: KVS clips hold it once.
    .filter((fragment) => !seen.has(fragment.producerTimestamp) && seen.add(fragment.producerTimestamp));
  const first = fragments[0];
  const last = fragments[fragments.length - 1];
  if (!first || !last) {
    // ListFragments answers an empty list where GetClip would say why there is nothing to clip (a stream
    // without data retention: 422 as for playback; no fragments: 404): ask it, so the answer is the same.
    await kvs.getClip(range, options.deadline);
    throw new NoMediaError('The stream has no media in this range.');
  }
  const tooLarge = (): InvalidRequestError =>
    new InvalidRequestError(
      `This range holds more than ${Math.floor(options.maxBytes / MB)} MB of media, more than one clip may: ask for a shorter range.`,
      [{ field: 'end', issue: 'the range holds too much media for one clip' }],
    );
  if (fragments.reduce((sum, fragment) => sum + fragment.bytes, 0) > options.maxBytes) throw tooLarge();

  const placements: ClipPartPlacement[] = [];
  let bytes = 0;
  for (let index = 0; index < fragments.length;) {
    if (placements.length === MAX_PARTS) {
      throw new UpstreamError('Kinesis Video Streams answered the clip in more parts than expected.');
    }
    if (options.clock.now() >= options.deadline) {
      throw new UpstreamTimeoutError('Kinesis Video Streams did not answer the clip in time.');
    }
    const from = fragments[index]!;
    const part = parseClipPart(await kvs.getClip({ ...range, start: timestampOf(from) }, options.deadline));
    bytes += part.bytes.length;
    if (bytes > options.maxBytes) throw tooLarge();
    placements.push({ part, offsetSeconds: (from.producerTimestamp - first.producerTimestamp) / 1000 });
    // The first fragment the part did not hold starts about the part's length after its first one.
    const spanMs = part.videoSpanSeconds * 1000;
    let next = index + 1;
    while (
      next < fragments.length &&
      fragments[next]!.producerTimestamp - from.producerTimestamp <
        spanMs - fragments[next - 1]!.durationMs / 2
    ) {
      next += 1;
    }
    index = next;
  }

  const clip = stitchClip(placements);
  return {
    bytes: clip.bytes,
    start: timestampOf(first),
    end: timestampOf(last) + last.durationMs,
    durationSeconds: clip.durationSeconds,
    parts: placements.length,
  };
}
