import { parseConfig } from '../../lib/config';
import { cdkJsonConfig } from './synth-app';

const base = cdkJsonConfig();
const withOverrides = (overrides: Record<string, unknown>) => ({ ...base, ...overrides });
const partner = (overrides: Record<string, unknown>) => ({
  ...(base.partners as Record<string, unknown>[])[0]!,
  ...overrides,
});
const grant = (overrides: Record<string, unknown>) => ({
  grantId: 'front-door',
  streams: ['front-door'],
  playbackModes: ['LIVE'],
  protocols: ['HLS'],
  maxExpiresInSeconds: 300,
  ...overrides,
});

describe('parseConfig', () => {
  it('accepts the cdk.json defaults and fills in defaults for what they leave out', () => {
    const config = parseConfig({
      issuer: 'https://issuer.example.com/',
      audience: 'kvs',
      jwksUrl: 'https://issuer.example.com/jwks.json',
      streamArnPatterns: ['arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-*/*'],
    });
    expect(config).toMatchObject({
      allowedOrigins: [],
      partners: [],
      logRetentionDays: 30,
      memorySize: 512,
      timeoutSeconds: 10,
      waf: { enabled: false },
      deletionProtection: true,
      admission: { enabled: true },
      sharedEndpointCache: true,
      media: { enabled: true },
    });
    expect(parseConfig(base).partners[0]).toMatchObject({ name: 'example-partner', keyVersion: 1 });
  });

  it('accepts the configuration as JSON text, as `cdk -c kvsUrlVending=...` passes it', () => {
    expect(parseConfig(JSON.stringify(base)).issuer).toBe(base.issuer);
  });

  it.each<[string, unknown, RegExp]>([
    ['missing configuration', undefined, /kvsUrlVending: missing/],
    ['text that is not JSON', '{issuer:', /kvsUrlVending: not valid JSON/],
    [
      'a stream limit over the KVS quota',
      withOverrides({ admission: { streamRatePerSecond: 21 } }),
      /kvsUrlVending\.admission: streamRatePerSecond \+ streamBurst must not exceed/,
    ],
    [
      'admission settings with admission off',
      withOverrides({ admission: { enabled: false, callerBurst: 2 } }),
      /kvsUrlVending\.admission: settings need enabled: true/,
    ],
    [
      'media settings with media off',
      withOverrides({ media: { enabled: false, maxClipSeconds: 60 } }),
      /kvsUrlVending\.media: settings need enabled: true/,
    ],
    ['an unknown media setting', withOverrides({ media: { bucketName: 'x' } }), /kvsUrlVending\.media/],
    [
      'a clip URL lifetime beyond the longest',
      withOverrides({ media: { clipUrlMaxSeconds: 100_000 } }),
      /kvsUrlVending\.media\.clipUrlMaxSeconds/,
    ],
    ['an unknown admission setting', withOverrides({ admission: { perIp: 2 } }), /kvsUrlVending\.admission/],
    [
      'a negative session cap',
      withOverrides({ admission: { sessionCap: -1 } }),
      /kvsUrlVending\.admission\.sessionCap/,
    ],
    [
      'a shared endpoint cache that is not on or off',
      withOverrides({ sharedEndpointCache: 'yes' }),
      /kvsUrlVending\.sharedEndpointCache/,
    ],
    ['no issuer', withOverrides({ issuer: undefined }), /kvsUrlVending\.issuer/],
    ['an empty audience', withOverrides({ audience: '' }), /kvsUrlVending\.audience/],
    [
      'neither JWKS URL nor secret',
      withOverrides({ jwksUrl: undefined }),
      /kvsUrlVending\.jwksUrl: set exactly one of jwksUrl and jwtSecretArn/,
    ],
    [
      'both JWKS URL and secret',
      withOverrides({ jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbCdEf' }),
      /set exactly one of jwksUrl and jwtSecretArn/,
    ],
    [
      'a plain-http JWKS URL',
      withOverrides({ jwksUrl: 'http://issuer.example.com/jwks.json' }),
      /kvsUrlVending\.jwksUrl: must be an https URL/,
    ],
    [
      'a secret that is not a Secrets Manager ARN',
      withOverrides({ jwksUrl: undefined, jwtSecretArn: 'my-secret' }),
      /kvsUrlVending\.jwtSecretArn/,
    ],
    [
      'a partial secret ARN (IAM could not name the secret exactly)',
      withOverrides({
        jwksUrl: undefined,
        jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt',
      }),
      /kvsUrlVending\.jwtSecretArn: must be the complete ARN/,
    ],
    [
      'a grants table key given by its alias (IAM authorizes key use against the key ARN)',
      withOverrides({ grantsTableKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/grants' }),
      /kvsUrlVending\.grantsTableKmsKeyArn: must be the ARN of a KMS key/,
    ],
    [
      'a secret key without a secret',
      withOverrides({
        jwtSecretKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
      /kvsUrlVending\.jwtSecretKmsKeyArn: needs jwtSecretArn/,
    ],
    [
      'HS256 with a JWKS URL',
      withOverrides({ jwtAlgorithms: ['HS256'] }),
      /kvsUrlVending\.jwtAlgorithms: must list only RS256, ES256/,
    ],
    ['an unknown algorithm', withOverrides({ jwtAlgorithms: ['none'] }), /kvsUrlVending\.jwtAlgorithms/],
    ['no stream ARN pattern', withOverrides({ streamArnPatterns: [] }), /kvsUrlVending\.streamArnPatterns/],
    [
      'a bare * stream ARN',
      withOverrides({ streamArnPatterns: ['*'] }),
      /kvsUrlVending\.streamArnPatterns\.0/,
    ],
    [
      'a stream ARN for every stream of the account',
      withOverrides({ streamArnPatterns: ['arn:aws:kinesisvideo:us-east-1:123456789012:stream/*'] }),
      /kvsUrlVending\.streamArnPatterns\.0/,
    ],
    [
      'a stream ARN without the creation-time suffix',
      withOverrides({ streamArnPatterns: ['arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door'] }),
      /kvsUrlVending\.streamArnPatterns\.0/,
    ],
    [
      'a wildcard origin',
      withOverrides({ allowedOrigins: ['*'] }),
      /kvsUrlVending\.allowedOrigins\.0: must be an exact origin/,
    ],
    [
      'an origin with a path',
      withOverrides({ allowedOrigins: ['https://app.example.com/'] }),
      /kvsUrlVending\.allowedOrigins\.0/,
    ],
    [
      'a retention CloudWatch does not offer',
      withOverrides({ logRetentionDays: 31 }),
      /kvsUrlVending\.logRetentionDays: must be a CloudWatch Logs retention period/,
    ],
    [
      'a reserved concurrency of 0',
      withOverrides({ reservedConcurrency: 0 }),
      /kvsUrlVending\.reservedConcurrency/,
    ],
    ['too little memory', withOverrides({ memorySize: 64 }), /kvsUrlVending\.memorySize/],
    [
      'a timeout within the KVS retry budget',
      withOverrides({ timeoutSeconds: 4 }),
      /kvsUrlVending\.timeoutSeconds/,
    ],
    ['a timeout beyond API Gateway', withOverrides({ timeoutSeconds: 30 }), /kvsUrlVending\.timeoutSeconds/],
    [
      // Keys 2 s + grants 1.5 s + admission 1.5 s and 1 s give-back grace + session log 2 x 0.5 s, and 0.25 s to answer.
      "a timeout the function's own waits before KVS can use up",
      withOverrides({ timeoutSeconds: 6 }),
      /kvsUrlVending\.timeoutSeconds: must leave time for KVS after the function's other waits \(7\.25 s at worst\)/,
    ],
    [
      'a WAF flag that is not a boolean',
      withOverrides({ waf: { enabled: 'yes' } }),
      /kvsUrlVending\.waf\.enabled/,
    ],
    [
      'a WAF rate limit below the minimum',
      withOverrides({ waf: { enabled: true, rateLimitPerFiveMinutes: 5 } }),
      /kvsUrlVending\.waf\.rateLimitPerFiveMinutes/,
    ],
    [
      'a deletion protection that is not a boolean',
      withOverrides({ deletionProtection: 'false' }),
      /kvsUrlVending\.deletionProtection/,
    ],
    ['an alarm email that is not one', withOverrides({ alarmEmail: 'ops' }), /kvsUrlVending\.alarmEmail/],
    ['a misspelt key', withOverrides({ issuerr: 'x' }), /issuerr/],
    [
      'a partner name with spaces',
      withOverrides({ partners: [partner({ name: 'a b' })] }),
      /kvsUrlVending\.partners\.0\.name/,
    ],
    [
      'a partner without a rate',
      withOverrides({ partners: [partner({ rateLimit: undefined })] }),
      /kvsUrlVending\.partners\.0\.rateLimit/,
    ],
    [
      'a partner quota period of an hour',
      withOverrides({ partners: [partner({ quota: { limit: 1, period: 'HOUR' } })] }),
      /kvsUrlVending\.partners\.0\.quota\.period/,
    ],
    [
      'a partner without grants',
      withOverrides({ partners: [partner({ grants: [] })] }),
      /kvsUrlVending\.partners\.0\.grants/,
    ],
    [
      'two partners with one name',
      withOverrides({ partners: [partner({}), partner({})] }),
      /kvsUrlVending\.partners: duplicate partner name example-partner/,
    ],
    [
      'two partners whose names differ only in dashes and letter case',
      withOverrides({ partners: [partner({ name: 'acme-video' }), partner({ name: 'AcmeVideo' })] }),
      /kvsUrlVending\.partners\.1\.name: AcmeVideo and acme-video are one name once normalised \(letters and digits, any case/,
    ],
    [
      'a partner grant without a grantId',
      withOverrides({ partners: [partner({ grants: [grant({ grantId: undefined })] })] }),
      /kvsUrlVending\.partners\.0\.grants\.0\.grantId: required: it names the grant's record/,
    ],
    [
      'two grants of a partner with one grantId',
      withOverrides({ partners: [partner({ grants: [grant({}), grant({ streams: ['garage'] })] })] }),
      /kvsUrlVending\.partners\.0\.grants\.1\.grantId: duplicate grantId front-door in partner example-partner/,
    ],
    [
      'a partner grant naming its principal',
      withOverrides({ partners: [partner({ grants: [grant({ principal: 'user:x' })] })] }),
      /kvsUrlVending\.partners\.0\.grants\.0: must not set principal/,
    ],
    [
      'a partner grant with an unknown mode',
      withOverrides({ partners: [partner({ grants: [grant({ playbackModes: ['REWIND'] })] })] }),
      /kvsUrlVending\.partners\.0\.grants\.0: .*playbackModes/,
    ],
    [
      'a partner grant with an expiry beyond 12 h',
      withOverrides({ partners: [partner({ grants: [grant({ maxExpiresInSeconds: 50000 })] })] }),
      /kvsUrlVending\.partners\.0\.grants\.0: .*maxExpiresInSeconds/,
    ],
    [
      'a partner grant with a misspelt field',
      withOverrides({ partners: [partner({ grants: [grant({ notafter: '2030-01-01T00:00:00Z' })] })] }),
      /kvsUrlVending\.partners\.0\.grants\.0: .*notafter/,
    ],
  ])('refuses %s, naming the key', (_name, input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });
});
