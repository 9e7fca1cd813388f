import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  ArchiveRange,
  ClipIdentity,
  FragmentInfo,
  ImageResult,
  ImagesCall,
  KvsMediaPort,
  MediaStore,
  StoredClip,
  StoredObject,
} from '../../../lambda/core/media/ports';
import type { MediaSettings } from '../../../lambda/core/media/vend-media';

const FIXTURES = resolve(__dirname, '..', '..', '..', 'packages', 'kvs-emulator', 'fixtures');
const VIDEO_INIT = new Uint8Array(readFileSync(resolve(FIXTURES, 'video-init.mp4')));
const VIDEO_FRAGMENTS = [0, 1, 2, 3].map(
  (index) => new Uint8Array(readFileSync(resolve(FIXTURES, `video-00${index}.m4s`))),
);

export const SETTINGS: MediaSettings = {
  maxClipSeconds: 300,
  maxClipBytes: 100 * 1024 * 1024,
  clipUrlMaxSeconds: 900,
  imageUrlSeconds: 300,
  inlineImagesMaxBytes: 1_000_000,
  budgetMs: 20_000,
};

/**
 * Archived media the way KVS answers it, in memory: two-second fragments from `from` to `to`, GetClip
 * answering at most `cut` of them (the emulator's committed H.264 fragments, so the MP4 work is real),
 * GetImages one small picture per timestamp unless told otherwise.
 */
export class FakeKvsMedia implements KvsMediaPort {
  readonly calls: string[] = [];
  readonly imageCalls: ImagesCall[] = [];
  cut = 3;
  /** Timestamps (epoch ms) GetImages answers with an error. */
  readonly imageErrors = new Map<number, 'NO_MEDIA' | 'MEDIA_ERROR'>();
  imageBase64 = Buffer.from('not really a jpeg, but bytes').toString('base64');

  constructor(
    private readonly from: number,
    private to: number,
  ) {}

  /** More media is ingested: the archive now reaches `to`. */
  extendTo(to: number): void {
    this.to = to;
  }

  private fragmentsOf(range: ArchiveRange): FragmentInfo[] {
    const fragments: FragmentInfo[] = [];
    for (let at = Math.ceil(this.from / 2000) * 2000; at < this.to; at += 2000) {
      // Server timestamps are 5 ms after the producer's (ingestion).
      const selected = range.timestampSource === 'SERVER' ? at + 5 : at;
      if (selected >= range.start && selected <= range.end) {
        fragments.push({ producerTimestamp: at, serverTimestamp: at + 5, durationMs: 2000, bytes: 60_000 });
      }
    }
    return fragments;
  }

  listFragments(range: ArchiveRange): Promise<readonly FragmentInfo[]> {
    this.calls.push(`ListFragments ${range.streamName}`);
    return Promise.resolve(this.fragmentsOf(range));
  }

  getClip(range: ArchiveRange): Promise<Uint8Array> {
    this.calls.push(`GetClip ${range.streamName}`);
    const count = Math.min(this.cut, this.fragmentsOf(range).length, VIDEO_FRAGMENTS.length);
    const parts = [VIDEO_INIT, ...VIDEO_FRAGMENTS.slice(0, count)];
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return Promise.resolve(bytes);
  }

  getImages(call: ImagesCall): Promise<readonly ImageResult[]> {
    this.calls.push(`GetImages ${call.streamName}`);
    this.imageCalls.push(call);
    const images: ImageResult[] = [];
    for (let at = call.start; at <= call.end && images.length < call.maxResults; at += call.intervalMs) {
      const error = this.imageErrors.get(at);
      images.push(error ? { timestamp: at, error } : { timestamp: at, content: this.imageBase64 });
    }
    return Promise.resolve(images);
  }
}

/** A store in memory, keyed by caller and range as the S3 store is (never across callers). */
export class FakeMediaStore implements MediaStore {
  readonly calls: string[] = [];
  readonly objects = new Map<string, StoredClip | StoredObject>();
  objectLifetimeMs = 24 * 3_600_000;
  private images = 0;
  private oneOff = 0;

  constructor(private readonly now: () => number) {}

  private keyOf(clip: ClipIdentity): string {
    return `clips/${JSON.stringify([clip.owner, clip.range])}`;
  }

  findClip(clip: ClipIdentity): Promise<StoredClip | undefined> {
    this.calls.push('findClip');
    return Promise.resolve(this.objects.get(this.keyOf(clip)) as StoredClip | undefined);
  }

  putClip(
    clip: ClipIdentity,
    body: Uint8Array,
    footage: { start: number; end: number },
    options: { reusable: boolean },
  ): Promise<StoredClip> {
    this.calls.push('putClip');
    const stored = {
      key: options.reusable ? this.keyOf(clip) : `clips/one-off/${(this.oneOff += 1)}`,
      bytes: body.length,
      contentType: 'video/mp4',
      storedAt: this.now(),
      ...footage,
    };
    this.objects.set(stored.key, stored);
    return Promise.resolve(stored);
  }

  putImage(base64: string, contentType: string): Promise<StoredObject> {
    this.calls.push('putImage');
    const stored = {
      key: `images/${(this.images += 1)}`,
      bytes: Buffer.from(base64, 'base64').length,
      contentType,
      storedAt: this.now(),
    };
    this.objects.set(stored.key, stored);
    return Promise.resolve(stored);
  }

  presignGet(object: StoredObject, expiresInSeconds: number, fileName?: string): Promise<string> {
    this.calls.push(`presign ${expiresInSeconds}`);
    const query = new URLSearchParams({
      'X-Amz-Expires': String(expiresInSeconds),
      ...(fileName ? { 'response-content-disposition': `attachment; filename="${fileName}"` } : {}),
    });
    return Promise.resolve(`https://store.invalid/${encodeURIComponent(object.key)}?${query.toString()}`);
  }
}
