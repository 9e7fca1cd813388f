import { parseConfig } from '../../lambda/vend/config';

const base = {
  AWS_REGION: 'eu-west-1',
  JWT_ISSUER: 'https://issuer.example',
  JWT_AUDIENCE: 'vend',
  JWT_JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
  GRANTS_TABLE_NAME: 'grants',
};

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(base);
    expect(config).toEqual({
      region: 'eu-west-1',
      jwt: {
        issuer: 'https://issuer.example',
        audience: 'vend',
        keySource: { kind: 'jwks', url: 'https://issuer.example/.well-known/jwks.json' },
        algorithms: ['RS256', 'ES256'],
        groupsClaims: ['groups'],
        clockToleranceSeconds: 5,
        maxTokenBytes: 8192,
        maxTokenLifetimeSeconds: 86_400,
        jwksRefetchIntervalSeconds: 30,
      },
      grants: { source: { kind: 'table', tableName: 'grants' }, cacheTtlSeconds: 30 },
      kvs: {
        callTimeoutMs: 2000,
        retryBudgetMs: 4000,
        endpointCacheTtlSeconds: 1500,
        endpointCacheMaxEntries: 1000,
        streamListCacheTtlSeconds: 30,
      },
      http: { allowedOrigins: [], maxBodyBytes: 8192 },
      playback: { liveMaxFragments: 10 },
      powertools: { serviceName: 'kvs-url-vending', metricsNamespace: 'KvsUrlVending', logLevel: 'INFO' },
    });
  });

  it('reads every override', () => {
    const config = parseConfig({
      ...base,
      JWT_JWKS_URL: undefined,
      JWT_SECRET: 'a-local-secret-of-at-least-32-bytes!',
      JWT_GROUPS_CLAIM: 'roles, groups',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
      JWT_MAX_TOKEN_BYTES: '4096',
      JWT_MAX_TOKEN_LIFETIME_SECONDS: '3600',
      JWKS_REFETCH_INTERVAL_SECONDS: '60',
      LIVE_MAX_FRAGMENTS: '6',
      GRANTS_TABLE_NAME: undefined,
      GRANTS_FILE: '/tmp/grants.json',
      GRANTS_CACHE_TTL_SECONDS: '0',
      KVS_ENDPOINT: 'http://127.0.0.1:4567',
      KVS_CALL_TIMEOUT_MS: '500',
      KVS_RETRY_BUDGET_MS: '1500',
      ENDPOINT_CACHE_TTL_SECONDS: '1800',
      ENDPOINT_CACHE_MAX_ENTRIES: '10',
      STREAM_LIST_CACHE_TTL_SECONDS: '5',
      ALLOWED_ORIGINS: 'https://app.example, http://localhost:3000',
      MAX_BODY_BYTES: '1024',
      POWERTOOLS_SERVICE_NAME: 'svc',
      POWERTOOLS_METRICS_NAMESPACE: 'Ns',
      POWERTOOLS_LOG_LEVEL: 'debug',
    });
    expect(config.jwt.keySource).toEqual({ kind: 'secret', secret: 'a-local-secret-of-at-least-32-bytes!' });
    expect(config.jwt.algorithms).toEqual(['HS256']);
    expect(config.jwt.groupsClaims).toEqual(['roles', 'groups']);
    expect(config.jwt.clockToleranceSeconds).toBe(0);
    expect(config.jwt.maxTokenLifetimeSeconds).toBe(3600);
    expect(config.playback).toEqual({ liveMaxFragments: 6 });
    expect(config.grants).toEqual({ source: { kind: 'file', path: '/tmp/grants.json' }, cacheTtlSeconds: 0 });
    expect(config.kvs).toEqual({
      endpoint: 'http://127.0.0.1:4567',
      callTimeoutMs: 500,
      retryBudgetMs: 1500,
      endpointCacheTtlSeconds: 1800,
      endpointCacheMaxEntries: 10,
      streamListCacheTtlSeconds: 5,
    });
    expect(config.http).toEqual({
      allowedOrigins: ['https://app.example', 'http://localhost:3000'],
      maxBodyBytes: 1024,
    });
    expect(config.powertools).toEqual({ serviceName: 'svc', metricsNamespace: 'Ns', logLevel: 'DEBUG' });
  });

  it('takes a Secrets Manager ARN and a DynamoDB endpoint', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf';
    const config = parseConfig({
      ...base,
      JWT_JWKS_URL: undefined,
      JWT_SECRET_ARN: arn,
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    });
    expect(config.jwt.keySource).toEqual({ kind: 'secretArn', arn });
    expect(config.grants.source).toEqual({
      kind: 'table',
      tableName: 'grants',
      endpoint: 'http://127.0.0.1:8000',
    });
  });

  it('uses the fleet-wide endpoint cache with ENDPOINT_CACHE_TABLE_NAME, and not without', () => {
    expect(parseConfig(base).kvs.endpointCacheTableName).toBeUndefined();
    expect(
      parseConfig({ ...base, ENDPOINT_CACHE_TABLE_NAME: ' endpoints ' }).kvs.endpointCacheTableName,
    ).toBe('endpoints');
  });

  it('turns admission on with ADMISSION_TABLE_NAME, with defaults below the KVS quota', () => {
    expect(parseConfig(base).admission).toBeUndefined();
    const config = parseConfig({
      ...base,
      ADMISSION_TABLE_NAME: 'admission',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    });
    expect(config.dynamoDbEndpoint).toBe('http://127.0.0.1:8000');
    expect(config.admission).toEqual({
      tableName: 'admission',
      callerLimit: { ratePerSecond: 5, burst: 10 },
      streamLimit: { ratePerSecond: 20, burst: 5 },
      streamShareWindowSeconds: 10,
      sessionCap: 0,
      timeoutMs: 1500,
    });
    const tuned = parseConfig({
      ...base,
      SESSIONS_TABLE_NAME: 'sessions',
      ADMISSION_TABLE_NAME: 'admission',
      ADMISSION_CALLER_RATE_PER_SECOND: '2',
      ADMISSION_CALLER_BURST: '3',
      ADMISSION_STREAM_RATE_PER_SECOND: '15',
      ADMISSION_STREAM_BURST: '10',
      ADMISSION_STREAM_SHARE_WINDOW_SECONDS: '30',
      ADMISSION_SESSION_CAP: '4',
      ADMISSION_TIMEOUT_MS: '250',
    });
    expect(tuned.admission).toEqual({
      tableName: 'admission',
      callerLimit: { ratePerSecond: 2, burst: 3 },
      streamLimit: { ratePerSecond: 15, burst: 10 },
      streamShareWindowSeconds: 30,
      sessionCap: 4,
      timeoutMs: 250,
    });
  });

  it('records sessions with SESSIONS_TABLE_NAME, and refuses a session cap without it (the cap counts those records)', () => {
    expect(parseConfig(base).sessions).toBeUndefined();
    expect(parseConfig({ ...base, SESSIONS_TABLE_NAME: 'sessions' }).sessions).toEqual({
      tableName: 'sessions',
      timeoutMs: 500,
    });
    expect(
      parseConfig({ ...base, SESSIONS_TABLE_NAME: 'sessions', SESSIONS_TIMEOUT_MS: '250' }).sessions,
    ).toEqual({ tableName: 'sessions', timeoutMs: 250 });
    expect(() =>
      parseConfig({ ...base, ADMISSION_TABLE_NAME: 'admission', ADMISSION_SESSION_CAP: '2' }),
    ).toThrow(/ADMISSION_SESSION_CAP needs SESSIONS_TABLE_NAME/);
    expect(() => parseConfig({ ...base, SESSIONS_TABLE_NAME: 's', SESSIONS_TIMEOUT_MS: '10' })).toThrow(
      /SESSIONS_TIMEOUT_MS must be an integer from 50 to 10000/,
    );
  });

  it('refuses a stream limit that could exceed the KVS quota of 25 per second', () => {
    expect(() =>
      parseConfig({
        ...base,
        ADMISSION_TABLE_NAME: 'admission',
        ADMISSION_STREAM_RATE_PER_SECOND: '20',
        ADMISSION_STREAM_BURST: '6',
      }),
    ).toThrow(/ADMISSION_STREAM_RATE_PER_SECOND \+ ADMISSION_STREAM_BURST/);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['missing issuer', { JWT_ISSUER: undefined }, 'JWT_ISSUER'],
    ['blank audience', { JWT_AUDIENCE: '  ' }, 'JWT_AUDIENCE'],
    ['missing region', { AWS_REGION: undefined }, 'AWS_REGION'],
    ['no key source', { JWT_JWKS_URL: undefined }, 'JWT_JWKS_URL, JWT_SECRET_ARN, JWT_SECRET'],
    ['two key sources', { JWT_SECRET: 'x'.repeat(40) }, 'JWT_JWKS_URL, JWT_SECRET_ARN, JWT_SECRET'],
    ['no grants source', { GRANTS_TABLE_NAME: undefined }, 'GRANTS_TABLE_NAME, GRANTS_FILE'],
    ['two grants sources', { GRANTS_FILE: '/tmp/g.json' }, 'GRANTS_TABLE_NAME, GRANTS_FILE'],
    ['JWKS URL not a URL', { JWT_JWKS_URL: 'issuer.example/jwks' }, 'JWT_JWKS_URL'],
    ['JWKS URL not http', { JWT_JWKS_URL: 'file:///etc/passwd' }, 'JWT_JWKS_URL'],
    ['bad secret ARN', { JWT_JWKS_URL: undefined, JWT_SECRET_ARN: 'my-secret' }, 'JWT_SECRET_ARN'],
    ['HS256 with JWKS', { JWT_ALGORITHMS: 'RS256,HS256' }, 'JWT_ALGORITHMS'],
    [
      'RS256 with a secret',
      { JWT_JWKS_URL: undefined, JWT_SECRET: 'x'.repeat(40), JWT_ALGORITHMS: 'RS256' },
      'JWT_ALGORITHMS',
    ],
    ['alg none', { JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS'],
    ['non-numeric tolerance', { JWT_CLOCK_TOLERANCE_SECONDS: 'five' }, 'JWT_CLOCK_TOLERANCE_SECONDS'],
    ['negative token cap', { JWT_MAX_TOKEN_BYTES: '-1' }, 'JWT_MAX_TOKEN_BYTES'],
    ['fractional timeout', { KVS_CALL_TIMEOUT_MS: '1.5' }, 'KVS_CALL_TIMEOUT_MS'],
    ['endpoint cache TTL over 30 min', { ENDPOINT_CACHE_TTL_SECONDS: '1801' }, 'ENDPOINT_CACHE_TTL_SECONDS'],
    ['zero cache entries', { ENDPOINT_CACHE_MAX_ENTRIES: '0' }, 'ENDPOINT_CACHE_MAX_ENTRIES'],
    ['bad KVS endpoint', { KVS_ENDPOINT: 'localhost:4567' }, 'KVS_ENDPOINT'],
    ['bad DynamoDB endpoint', { DYNAMODB_ENDPOINT: 'nope' }, 'DYNAMODB_ENDPOINT'],
    ['wildcard origin', { ALLOWED_ORIGINS: '*' }, 'ALLOWED_ORIGINS'],
    ['origin with a path', { ALLOWED_ORIGINS: 'https://app.example/' }, 'ALLOWED_ORIGINS'],
    ['zero body cap', { MAX_BODY_BYTES: '0' }, 'MAX_BODY_BYTES'],
    ['unknown log level', { POWERTOOLS_LOG_LEVEL: 'LOUD' }, 'POWERTOOLS_LOG_LEVEL'],
    ['bad grants cache TTL', { GRANTS_CACHE_TTL_SECONDS: 'soon' }, 'GRANTS_CACHE_TTL_SECONDS'],
    ['bad stream list TTL', { STREAM_LIST_CACHE_TTL_SECONDS: '1e3' }, 'STREAM_LIST_CACHE_TTL_SECONDS'],
    ['bad retry budget', { KVS_RETRY_BUDGET_MS: '' + Number.MAX_SAFE_INTEGER }, 'KVS_RETRY_BUDGET_MS'],
    ['bad refetch interval', { JWKS_REFETCH_INTERVAL_SECONDS: '0' }, 'JWKS_REFETCH_INTERVAL_SECONDS'],
    [
      'token lifetime under a minute',
      { JWT_MAX_TOKEN_LIFETIME_SECONDS: '59' },
      'JWT_MAX_TOKEN_LIFETIME_SECONDS',
    ],
    [
      'token lifetime over 30 days',
      { JWT_MAX_TOKEN_LIFETIME_SECONDS: '2592001' },
      'JWT_MAX_TOKEN_LIFETIME_SECONDS',
    ],
    ['LIVE fragments below a player minimum', { LIVE_MAX_FRAGMENTS: '2' }, 'LIVE_MAX_FRAGMENTS'],
    ['LIVE fragments reaching far back', { LIVE_MAX_FRAGMENTS: '5000' }, 'LIVE_MAX_FRAGMENTS'],
    [
      'zero caller rate',
      { ADMISSION_TABLE_NAME: 't', ADMISSION_CALLER_RATE_PER_SECOND: '0' },
      'ADMISSION_CALLER_RATE_PER_SECOND',
    ],
    [
      'stream rate over quota',
      { ADMISSION_TABLE_NAME: 't', ADMISSION_STREAM_RATE_PER_SECOND: '26' },
      'ADMISSION_STREAM_RATE_PER_SECOND',
    ],
    [
      'negative session cap',
      { ADMISSION_TABLE_NAME: 't', ADMISSION_SESSION_CAP: '-1' },
      'ADMISSION_SESSION_CAP',
    ],
  ])('fails with the variable name: %s', (_name, overrides, variable) => {
    expect(() => parseConfig({ ...base, ...overrides })).toThrow(variable);
  });

  it('never echoes a secret in its messages', () => {
    const secret = 'super-secret-value-that-must-not-leak-0123';
    expect(() => parseConfig({ ...base, JWT_SECRET: secret })).toThrow(/^(?!.*super-secret).*$/s);
  });
});
