import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import jwt from 'jsonwebtoken';
import type { VendHandler } from '../../lambda/vend/create-handler';
import { parseConfig } from '../../lambda/vend/config';
import { captureOutput, context, event, jsonLines, setupHandler, signToken, type LogLine } from './support';

/**
 * The audit lines (a vend, a listing, a refusal) are the record of who got which stream: a log level
 * chosen to quiet the function's other lines must not drop them. Only SILENT, which asks for no output
 * at all, silences them too.
 */
const auth = { Authorization: `Bearer ${signToken()}`, 'Content-Type': 'application/json' };

async function auditLines(handler: VendHandler): Promise<LogLine[]> {
  const { output } = await captureOutput(async () => {
    expect(
      (await handler(event({ headers: auth, body: '{}', requestId: 'req-vend' }), context)).statusCode,
    ).toBe(200);
    expect(
      (await handler(event({ resource: '/v1/streams', headers: auth, requestId: 'req-list' }), context))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await handler(
          event({ streamName: 'attic', headers: auth, body: '{}', requestId: 'req-deny' }),
          context,
        )
      ).statusCode,
    ).toBe(403);
  });
  return jsonLines(output).filter((line) => line.audit !== undefined);
}

describe('audit lines whatever the log level', () => {
  it.each(['WARN', 'ERROR', 'CRITICAL'] as const)(
    'at %s the vend, the listing and the refusal each leave their audit line with its request id',
    async (logLevel) => {
      const { handler } = setupHandler({ logger: new Logger({ logLevel }) });
      const lines = await auditLines(handler);
      expect(lines.map((line) => [line.message, line.audit?.outcome, line.audit?.requestId])).toEqual([
        ['Playback URL vended', 'vended', 'req-vend'],
        ['Streams listed', 'listed', 'req-list'],
        ['Request refused', 'refused', 'req-deny'],
      ]);
      expect(lines.map((line) => line.correlation_id)).toEqual(['req-vend', 'req-list', 'req-deny']);
      expect(lines.map((line) => line.level)).toEqual(['INFO', 'INFO', 'WARN']);
    },
  );

  it('at WARN the function logs nothing else at INFO (the level still quiets the rest)', async () => {
    const { handler } = setupHandler({ logger: new Logger({ logLevel: 'WARN' }) });
    const { output } = await captureOutput(async () => {
      await handler(event({ headers: auth, body: '{}' }), context);
    });
    const infoLines = jsonLines(output).filter((line) => line.level === 'INFO' && line._aws === undefined);
    expect(infoLines.map((line) => line.message)).toEqual(['Playback URL vended']);
  });

  it('at SILENT nothing is written, audit lines included', async () => {
    const { handler } = setupHandler({ logger: new Logger({ logLevel: 'SILENT' }) });
    expect(await auditLines(handler)).toEqual([]);
  });

  it('refuses, at cold start, a Lambda log level (advanced logging controls) that would drop them', () => {
    const base = {
      AWS_REGION: 'us-east-1',
      JWT_ISSUER: 'https://issuer.test',
      JWT_AUDIENCE: 'vend',
      JWT_SECRET: 'a-secret-with-at-least-32-bytes-in-it!!',
      GRANTS_FILE: resolve(__dirname, '../../local/grants.json'),
    };
    for (const level of ['WARN', 'ERROR', 'FATAL']) {
      expect(() => parseConfig({ ...base, AWS_LAMBDA_LOG_LEVEL: level })).toThrow(/AWS_LAMBDA_LOG_LEVEL/);
    }
    for (const level of ['TRACE', 'DEBUG', 'INFO']) {
      expect(() => parseConfig({ ...base, AWS_LAMBDA_LOG_LEVEL: level })).not.toThrow();
    }
  });
});

describe('the handler module with POWERTOOLS_LOG_LEVEL=ERROR', () => {
  const SECRET = 'audit-level-secret-with-at-least-32-bytes';
  const ENV = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    JWT_ISSUER: 'https://issuer.audit.test',
    JWT_AUDIENCE: 'vend',
    JWT_SECRET: SECRET,
    GRANTS_FILE: resolve(__dirname, '../../local/grants.json'),
    KVS_ENDPOINT: 'http://127.0.0.1:9',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const saved = { ...process.env };
  let handler: VendHandler;

  beforeAll(async () => {
    for (const name of ['JWT_JWKS_URL', 'JWT_SECRET_ARN', 'GRANTS_TABLE_NAME', 'AWS_LAMBDA_LOG_LEVEL'])
      delete process.env[name];
    Object.assign(process.env, ENV);
    handler = ((await import('../../lambda/vend/handler')) as { handler: VendHandler }).handler;
  });

  afterAll(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it('still writes the listing audit line and the refusal audit line', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ sub: 'bob', iat, exp: iat + 300 }, SECRET, {
      algorithm: 'HS256',
      issuer: ENV.JWT_ISSUER,
      audience: ENV.JWT_AUDIENCE,
    });
    const headers = { Authorization: `Bearer ${token}` };
    const { output } = await captureOutput(async () => {
      await handler(event({ resource: '/v1/streams', headers, requestId: 'req-list' }), context);
      await handler(event({ streamName: 'front-door', headers, requestId: 'req-deny' }), context);
    });
    const audit = jsonLines(output).filter((line) => line.audit !== undefined);
    expect(audit.map((line) => [line.message, line.audit?.requestId])).toEqual([
      ['Streams listed', 'req-list'],
      ['Request refused', 'req-deny'],
    ]);
  });
});

describe("the media function's audit lines whatever the log level", () => {
  it('at ERROR a clip URL vended still leaves its audit line', async () => {
    const { handler } = setupHandler({
      logger: new Logger({ logLevel: 'ERROR' }),
      serves: 'media',
      media: {
        clipUrl: () =>
          Promise.resolve({
            url: 'https://bucket.example/clip.mp4?X-Amz-Signature=secret',
            stream: 'front-door',
            start: Date.parse('2026-11-25T11:00:00Z'),
            end: Date.parse('2026-11-25T11:01:00Z'),
            timestampSource: 'SERVER' as const,
            expiresAt: Date.parse('2026-11-25T12:05:00Z'),
            expiresInSeconds: 300,
            contentType: 'video/mp4',
            bytes: 1000,
            reused: false,
            grantPrincipal: 'user:alice',
          }),
        images: () => Promise.reject(new Error('not used')),
      },
    });
    const { result, output } = await captureOutput(() =>
      handler(
        event({
          resource: '/v1/streams/{streamName}/clip-url',
          headers: auth,
          body: JSON.stringify({ start: '2026-11-25T11:00:00Z', end: '2026-11-25T11:01:00Z' }),
          requestId: 'req-clip',
        }),
        context,
      ),
    );
    expect(result.statusCode).toBe(200);
    const lines = jsonLines(output).filter((line) => line.audit !== undefined);
    expect(lines.map((line) => [line.message, line.audit?.requestId])).toEqual([
      ['Clip URL vended', 'req-clip'],
    ]);
  });
});
