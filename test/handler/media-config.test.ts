import { MEDIA_DEFAULTS, parseMediaConfig } from '../../lambda/vend/media-config';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:media-keys-AbCdEf';
const base = { MEDIA_BUCKET_NAME: 'media-bucket', MEDIA_KEY_SECRET_ARN: SECRET_ARN };

describe('parseMediaConfig', () => {
  it('fills in the defaults: the longest clip, the largest, URL lifetimes and the budget', () => {
    const config = parseMediaConfig(base);

    expect(config).toMatchObject({
      bucket: 'media-bucket',
      keySecret: { kind: 'secretArn', arn: SECRET_ARN },
      settings: {
        maxClipSeconds: 300,
        maxClipBytes: 100 * 1024 * 1024,
        clipUrlMaxSeconds: MEDIA_DEFAULTS.clipUrlMaxSeconds,
        budgetMs: 20_000,
      },
    });
    expect(config).not.toHaveProperty('s3Endpoint');
    expect(config.limits.clip.caller).toEqual({ ratePerSecond: 6 / 60, burst: 3 });
  });

  it('takes each setting from its variable', () => {
    const config = parseMediaConfig({
      ...base,
      CLIP_MAX_SECONDS: '60',
      CLIP_MAX_MEGABYTES: '50',
      CLIP_URL_MAX_SECONDS: '120',
      ADMISSION_CLIP_PER_MINUTE: '12',
      S3_ENDPOINT: 'http://127.0.0.1:4568',
    });

    expect(config.settings).toMatchObject({
      maxClipSeconds: 60,
      maxClipBytes: 50 * 1024 * 1024,
      clipUrlMaxSeconds: 120,
    });
    expect(config.limits.clip.caller.ratePerSecond).toBeCloseTo(0.2);
    expect(config.s3Endpoint).toBe('http://127.0.0.1:4568');
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no bucket', { MEDIA_BUCKET_NAME: '' }, /MEDIA_BUCKET_NAME is required/],
    [
      'two key secrets',
      { MEDIA_KEY_SECRET: 'x'.repeat(40) },
      /exactly one of MEDIA_KEY_SECRET_ARN, MEDIA_KEY_SECRET/,
    ],
    [
      'a key secret ARN that is not one',
      { MEDIA_KEY_SECRET_ARN: 'media-keys' },
      /MEDIA_KEY_SECRET_ARN must be/,
    ],
    [
      'a clip longer than an hour',
      { CLIP_MAX_SECONDS: '3601' },
      /CLIP_MAX_SECONDS must be an integer from 1 to 3600/,
    ],
    ['a budget past the timeout', { MEDIA_BUDGET_MS: '29000' }, /MEDIA_BUDGET_MS must be an integer/],
    ['an S3 endpoint that is no URL', { S3_ENDPOINT: 'localhost' }, /S3_ENDPOINT must be an http\(s\) URL/],
  ])('refuses %s, naming the variable and never its value', (_name, env, message) => {
    const parse = () => parseMediaConfig({ ...base, ...env });

    expect(parse).toThrow(message);
    for (const value of Object.values(env).filter((value) => value.length > 8)) {
      expect(parse).not.toThrow(value);
    }
  });

  it('refuses a short local key secret', () => {
    expect(() => parseMediaConfig({ MEDIA_BUCKET_NAME: 'b', MEDIA_KEY_SECRET: 'short' })).toThrow(
      /at least 32 characters/,
    );
  });
});
