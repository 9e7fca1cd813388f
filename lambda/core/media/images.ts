import { UpstreamTimeoutError } from '../errors';
import type { Clock } from '../ports';
import type { ImageResult, KvsMediaPort } from './ports';
import type { ImagesRequest } from './validate-media-request';

/** GetImages takes at most this long a range per call. */
const MAX_CALL_RANGE_MS = 300_000;

/**
 * The images of a request: one every `intervalSeconds` from `start`, at most `maxImages`, up to `end`.
 * GetImages takes at most 300 s per call, so the timestamps are asked for in windows of 300 s, one after
 * the other (the adapter follows each call's pages). An image KVS could not make comes back with its
 * error (NO_MEDIA, MEDIA_ERROR) in its place: one bad timestamp never fails the request.
 */
export async function collectImages(
  kvs: KvsMediaPort,
  streamName: string,
  request: ImagesRequest,
  options: { clock: Clock; deadline: number },
): Promise<ImageResult[]> {
  const intervalMs = request.intervalSeconds * 1000;
  const count = Math.min(request.maxImages, Math.floor((request.end - request.start) / intervalMs) + 1);
  const perCall = Math.floor(MAX_CALL_RANGE_MS / intervalMs) + 1;
  const images: ImageResult[] = [];
  for (let first = 0; first < count; first += perCall) {
    if (options.clock.now() >= options.deadline) {
      throw new UpstreamTimeoutError('Kinesis Video Streams did not answer the images in time.');
    }
    const inCall = Math.min(perCall, count - first);
    const start = request.start + first * intervalMs;
    const answered = await kvs.getImages(
      {
        streamName,
        timestampSource: request.timestampSource,
        start,
        end: start + (inCall - 1) * intervalMs,
        intervalMs,
        format: request.format,
        maxResults: inCall,
        ...(request.width !== undefined ? { width: request.width } : {}),
        ...(request.height !== undefined ? { height: request.height } : {}),
      },
      options.deadline,
    );
    images.push(...answered.slice(0, inCall));
  }
  return images.sort((a, b) => a.timestamp - b.timestamp);
}
