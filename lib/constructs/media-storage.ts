import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { MEDIA_KEY_PREFIX, MEDIA_OBJECT_EXPIRY_DAYS } from '../../lambda/vend/media-config';

export interface MediaStorageProps {
  /**
   * Keep the bucket when the stack is deleted (it empties itself within a day anyway). Off, the stack's
   * deletion removes it, and fails while it still holds objects.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * Where clips and images wait for their caller: a private bucket (every public access blocked, TLS only,
 * encrypted at rest, owner-enforced objects) whose objects expire by lifecycle a day after they are
 * written, and the secret the media function derives clip keys with. Nothing in it is reachable but
 * through a URL the media function presigned for a caller it authorized.
 */
export class MediaStorage extends Construct {
  public readonly bucket: s3.Bucket;
  /** HMAC key of clip object keys: a key tells nothing of its caller or range, and cannot be guessed. */
  public readonly keySecret: secretsmanager.Secret;
  /** The prefix every object of the media function goes under. */
  public readonly keyPrefix = MEDIA_KEY_PREFIX;

  constructor(scope: Construct, id: string, props: MediaStorageProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-clips-and-images',
          expiration: Duration.days(MEDIA_OBJECT_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.keySecret = new secretsmanager.Secret(this, 'KeySecret', {
      description: 'HMAC key the media function derives clip object keys with',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Objects are short-lived copies written by the media function only, each vend audited in its log (caller, stream, window, expiry, never the key or URL); turn on CloudTrail data events for object-level access logs where needed.',
    });
    Validations.of(this.keySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Changing the key only means that a clip asked for again is made anew instead of served from the bucket; replace the secret to rotate it, no rotation function needed.',
    });
  }
}
