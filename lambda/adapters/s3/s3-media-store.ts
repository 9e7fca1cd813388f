import { createHmac, randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { UpstreamError, UpstreamUnavailableError } from '../../core/errors';
import type { ClipIdentity, MediaStore, StoredClip, StoredObject } from '../../core/media/ports';
import type { Clock } from '../../core/ports';

export interface S3MediaStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (the local stack's); AWS otherwise. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Every object goes under this prefix (the function may write and read nothing else). Default `media/`. */
  keyPrefix?: string;
  /**
   * The secret that clip keys are derived with (HMAC-SHA256), so that a key names its caller and range
   * without anyone being able to tell which, or guess another: the value, or a loader called once.
   */
  keySecret: string | (() => Promise<string>);
  /** How long an object lives at least once stored (the bucket's lifecycle rule). */
  objectLifetimeMs: number;
  /** Longest single S3 call (an upload of the largest clip included). */
  callTimeoutMs: number;
  clock?: Clock;
  client?: S3Client;
}

const CLIP_CONTENT_TYPE = 'video/mp4';
const UNAVAILABLE = 'The media store is unavailable.';

interface S3ErrorLike {
  name?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Clips and images in an S3 bucket, handed out by presigned GET URLs. Keys are never logged nor answered:
 * a reusable clip's key is an HMAC of its caller and range under a secret of the deployment (so the same
 * caller asking for the same range finds its clip again, and no one else can name it); a one-off clip's
 * (footage not yet settled) and an image's are random.
 * Objects carry no public access of their own: the bucket is private and a URL is the only way in.
 */
export function createS3MediaStore(options: S3MediaStoreOptions): MediaStore {
  const clock = options.clock ?? { now: () => Date.now() };
  const prefix = options.keyPrefix ?? 'media/';
  const client =
    options.client ??
    new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: options.callTimeoutMs, requestTimeout: options.callTimeoutMs },
    });
  let secret: Promise<string> | undefined;
  const keySecret = (): Promise<string> => {
    if (typeof options.keySecret === 'string') return Promise.resolve(options.keySecret);
    // A failed load is not kept: the next request asks again.
    secret ??= options.keySecret().catch((error: unknown) => {
      secret = undefined;
      throw error;
    });
    return secret;
  };

  const clipKey = async ({ owner, range }: ClipIdentity): Promise<string> => {
    const identity = JSON.stringify([owner, range.streamName, range.timestampSource, range.start, range.end]);
    const digest = createHmac('sha256', await keySecret())
      .update(identity)
      .digest('hex');
    return `${prefix}clips/${digest}.mp4`;
  };

  const failed = (error: unknown): Error => {
    const e = error as S3ErrorLike;
    const status = e.$metadata?.httpStatusCode;
    if (status === undefined || status >= 500 || e.$fault === 'server')
      return new UpstreamUnavailableError(UNAVAILABLE);
    // S3 refused our own call (permissions, a missing bucket): a problem of this service, not the caller.
    return new UpstreamError('The media store refused the request of this service.');
  };

  return {
    objectLifetimeMs: options.objectLifetimeMs,

    async findClip(clip: ClipIdentity): Promise<StoredClip | undefined> {
      const key = await clipKey(clip);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
        const start = Number(head.Metadata?.['clip-start']);
        const end = Number(head.Metadata?.['clip-end']);
        if (!Number.isFinite(start) || !Number.isFinite(end) || head.LastModified === undefined)
          return undefined;
        return {
          key,
          bytes: head.ContentLength ?? 0,
          contentType: head.ContentType ?? CLIP_CONTENT_TYPE,
          storedAt: head.LastModified.getTime(),
          start,
          end,
        };
      } catch (error) {
        // Absent: 404, or 403 where the role may not list the bucket (S3 then hides whether a key exists).
        const status = (error as S3ErrorLike).$metadata?.httpStatusCode;
        if (status === 404 || status === 403) return undefined;
        throw failed(error);
      }
    },

    async putClip(clip, body, footage, { reusable }): Promise<StoredClip> {
      // A one-off clip gets a random key: findClip, which derives the identity's key, never meets it.
      const key = reusable ? await clipKey(clip) : `${prefix}clips/${randomBytes(32).toString('hex')}.mp4`;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: key,
            Body: body,
            ContentType: CLIP_CONTENT_TYPE,
            Metadata: { 'clip-start': String(footage.start), 'clip-end': String(footage.end) },
          }),
        );
      } catch (error) {
        throw failed(error);
      }
      return {
        key,
        bytes: body.length,
        contentType: CLIP_CONTENT_TYPE,
        storedAt: clock.now(),
        ...footage,
      };
    },

    async putImage(base64, contentType): Promise<StoredObject> {
      const extension = contentType === 'image/png' ? 'png' : 'jpg';
      const key = `${prefix}images/${randomBytes(16).toString('hex')}.${extension}`;
      const body = Buffer.from(base64, 'base64');
      try {
        await client.send(
          new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body, ContentType: contentType }),
        );
      } catch (error) {
        throw failed(error);
      }
      return { key, bytes: body.length, contentType, storedAt: clock.now() };
    },

    presignGet(object, expiresInSeconds, fileName): Promise<string> {
      return getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket: options.bucket,
          Key: object.key,
          ...(fileName !== undefined
            ? { ResponseContentDisposition: `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"` }
            : {}),
        }),
        { expiresIn: expiresInSeconds },
      );
    },
  };
}
