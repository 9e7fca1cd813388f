import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * The bucket's lifecycle rule, locally: deletes the objects under `prefix` stored more than `maxAgeMs`
 * ago (S3 expires them by its lifecycle rule; s3rver has none). Resolves to how many it deleted.
 */
export async function expireObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  maxAgeMs: number,
  now: number = Date.now(),
): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || object.LastModified === undefined) continue;
      if (now - object.LastModified.getTime() <= maxAgeMs) continue;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      deleted += 1;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return deleted;
}
