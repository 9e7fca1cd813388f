import { resolve } from 'node:path';
import type { VendHandler } from '../../lambda/vend/create-handler';
import { bodyOf, captureOutput, context, event, errorOf, jsonLines } from './support';
import jwt from 'jsonwebtoken';

const SECRET = 'module-wiring-secret-with-at-least-32-bytes';
const ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  JWT_ISSUER: 'https://issuer.module.test',
  JWT_AUDIENCE: 'vend',
  JWT_SECRET: SECRET,
  GRANTS_FILE: resolve(__dirname, '../../local/grants.json'),
  // Nothing listens here: these tests only take paths that must not reach KVS.
  KVS_ENDPOINT: 'http://127.0.0.1:9',
  ALLOWED_ORIGINS: 'https://app.example',
  POWERTOOLS_METRICS_NAMESPACE: 'ModuleTest',
};

const saved = { ...process.env };
let handler: VendHandler;

beforeAll(async () => {
  for (const name of ['JWT_JWKS_URL', 'JWT_SECRET_ARN', 'GRANTS_TABLE_NAME', 'AWS_SESSION_TOKEN'])
    delete process.env[name];
  Object.assign(process.env, ENV);
  handler = ((await import('../../lambda/vend/handler')) as { handler: VendHandler }).handler;
});

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

function token(sub: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ sub, iat, exp: iat + 300 }, SECRET, {
    algorithm: 'HS256',
    issuer: ENV.JWT_ISSUER,
    audience: ENV.JWT_AUDIENCE,
  });
}

describe('the handler module wired from the environment', () => {
  it('lists the exact-name grants of the grants file for a user', async () => {
    const response = await handler(
      event({ resource: '/v1/streams', headers: { Authorization: `Bearer ${token('bob')}` } }),
      context,
    );
    expect(response.statusCode).toBe(200);
    expect(bodyOf<{ streams: { stream: string }[] }>(response).streams.map((item) => item.stream)).toEqual([
      'backyard',
    ]);
  });

  it('refuses a stream outside the grants with 403 and publishes the Denials metric in its namespace', async () => {
    const { result: response, output } = await captureOutput(() =>
      handler(
        event({ streamName: 'front-door', headers: { Authorization: `Bearer ${token('bob')}` } }),
        context,
      ),
    );
    expect(response.statusCode).toBe(403);
    const metricLines = jsonLines(output).filter((line) => line._aws !== undefined);
    expect(metricLines.length).toBeGreaterThan(0);
    for (const line of metricLines) expect(JSON.stringify(line._aws)).toContain('ModuleTest');
    expect(metricLines.find((line) => line.Denials !== undefined)?.Denials).toBe(1);
    expect(metricLines.find((line) => line.Refusals !== undefined)).toMatchObject({
      Refusals: 1,
      StatusCode: '403',
    });
  });

  it('verifies tokens with the configured secret and issuer', async () => {
    const foreign = jwt.sign({ sub: 'alice' }, 'another-secret-with-at-least-32-bytes!!', {
      algorithm: 'HS256',
      issuer: ENV.JWT_ISSUER,
      audience: ENV.JWT_AUDIENCE,
      expiresIn: 300,
    });
    const response = await handler(event({ headers: { Authorization: `Bearer ${foreign}` } }), context);
    expect(response.statusCode).toBe(401);
    expect(errorOf(response).code).toBe('UNAUTHENTICATED');
  });

  it('applies the configured CORS origins', async () => {
    const response = await handler(
      event({ method: 'OPTIONS', headers: { Origin: 'https://app.example' } }),
      context,
    );
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example');
  });
});
