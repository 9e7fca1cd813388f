/**
 * The ports of clips and images: the archived media of Kinesis Video Streams (ListFragments, GetClip,
 * GetImages) and the store clips and images are handed out from (an S3 bucket).
 */
import type { ImageError, ImageFormat, TimestampSource } from '../../contract';

/** A range of a stream's archive, by server or producer timestamps (epoch ms, both included). */
export interface ArchiveRange {
  readonly streamName: string;
  readonly timestampSource: TimestampSource;
  readonly start: number;
  readonly end: number;
}

/** One archived fragment (ListFragments). */
export interface FragmentInfo {
  /** Epoch ms. */
  readonly producerTimestamp: number;
  /** Epoch ms. */
  readonly serverTimestamp: number;
  readonly durationMs: number;
  readonly bytes: number;
}

/** One GetImages call: at most 300 s, at most `maxResults` images (the adapter follows NextToken). */
export interface ImagesCall {
  readonly streamName: string;
  readonly timestampSource: TimestampSource;
  readonly start: number;
  readonly end: number;
  readonly intervalMs: number;
  readonly format: ImageFormat;
  readonly width?: number;
  readonly height?: number;
  readonly maxResults: number;
}

/** One image KVS answered: its picture (base64, as KVS sends it) or why there is none. */
export interface ImageResult {
  /** Epoch ms. */
  readonly timestamp: number;
  readonly content?: string;
  readonly error?: ImageError;
}

/**
 * The archived media of KVS. Every call gives up by `deadline` (epoch ms): what it has not done by then
 * fails with UpstreamTimeoutError. Failures are domain errors, as for the KvsPort.
 */
export interface KvsMediaPort {
  /** Every fragment of the range (all pages), in no particular order. */
  listFragments(range: ArchiveRange, deadline: number): Promise<readonly FragmentInfo[]>;
  /** GetClip of the range: an MP4 of its first fragments (KVS stops at 200 fragments or 100 MB). */
  getClip(range: ArchiveRange, deadline: number): Promise<Uint8Array>;
  /** GetImages, every page. */
  getImages(call: ImagesCall, deadline: number): Promise<readonly ImageResult[]>;
}

/** What makes two clip requests the same clip, for one caller. */
export interface ClipIdentity {
  /** The caller (`user:<sub>`, `partner:<apiKeyId>`): a clip is never handed to another caller. */
  readonly owner: string;
  readonly range: ArchiveRange;
}

/** A stored object. Its key is a secret of the store: never logged, never answered. */
export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
  readonly contentType: string;
  /** Epoch ms it was stored. */
  readonly storedAt: number;
}

/** A stored clip, with the footage it holds (epoch ms, in its range's timestamps). */
export interface StoredClip extends StoredObject {
  readonly start: number;
  readonly end: number;
}

/** Where clips and images are kept for download, and how their URLs are made. */
export interface MediaStore {
  /**
   * How long an object lives at least once stored (the bucket's lifecycle): a stored clip is handed out
   * again only while it outlives the URL.
   */
  readonly objectLifetimeMs: number;
  /** The clip this caller already has for this range, if it is still stored. */
  findClip(clip: ClipIdentity): Promise<StoredClip | undefined>;
  /**
   * Stores a clip. `reusable`: under its identity's key, where `findClip` finds it again; otherwise under a
   * one-off key nothing looks up (a clip of footage still arriving must not be handed out as complete).
   */
  putClip(
    clip: ClipIdentity,
    body: Uint8Array,
    footage: { start: number; end: number },
    options: { reusable: boolean },
  ): Promise<StoredClip>;
  /** Stores one image, given as KVS sends it (base64). */
  putImage(base64: string, contentType: string): Promise<StoredObject>;
  /** A presigned GET URL of the object, valid `expiresInSeconds`; `fileName` makes it a download. */
  presignGet(object: StoredObject, expiresInSeconds: number, fileName?: string): Promise<string>;
}
