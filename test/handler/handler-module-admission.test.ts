import { resolve } from 'node:path';
import { CreateTableCommand, DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { sessionsTableDefinition } from '../../local/dynamodb';
import jwt from 'jsonwebtoken';
import type { VendHandler } from '../../lambda/vend/create-handler';
import {
  createAdmissionTableSchema,
  startDynalite,
  type RunningDynalite,
} from '../admission/support/admission-table';
import { context, errorOf, event } from './support';

const SECRET = 'module-admission-secret-with-at-least-32-bytes';
const ISSUER = 'https://issuer.admission.test';

let dynamo: RunningDynalite;
let handler: VendHandler;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAdmissionTableSchema(dynamo.admin, 'limits');
  await dynamo.admin.send(new CreateTableCommand(sessionsTableDefinition('sessions')));
  for (const name of ['JWT_JWKS_URL', 'JWT_SECRET_ARN', 'GRANTS_TABLE_NAME', 'AWS_SESSION_TOKEN'])
    delete process.env[name];
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: 'vend',
    JWT_SECRET: SECRET,
    GRANTS_FILE: resolve(__dirname, '../../local/grants.json'),
    // Nothing listens here: admitted vends fail fast at KVS, which is all these tests need.
    KVS_ENDPOINT: 'http://127.0.0.1:9',
    KVS_RETRY_BUDGET_MS: '100',
    KVS_CALL_TIMEOUT_MS: '50',
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    ADMISSION_TABLE_NAME: 'limits',
    ADMISSION_SESSION_CAP: '3',
    SESSIONS_TABLE_NAME: 'sessions',
  });
  handler = ((await import('../../lambda/vend/handler')) as { handler: VendHandler }).handler;
});

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await dynamo.stop();
});

function bearer(sub: string): Record<string, string> {
  return {
    Authorization: `Bearer ${jwt.sign({ sub }, SECRET, { algorithm: 'HS256', issuer: ISSUER, audience: 'vend', expiresIn: 300 })}`,
  };
}

describe('the handler module with admission configured', () => {
  it('admits an authorized vend through the shared table before calling KVS', async () => {
    const response = await handler(event({ streamName: 'front-door', headers: bearer('alice') }), context);
    // KVS is unreachable on purpose: the vend got past admission and failed upstream.
    expect(response.statusCode).toBe(503);
    expect(errorOf(response).message).toMatch(/Kinesis Video Streams/);
    const items = await dynamo.admin.send(new ScanCommand({ TableName: 'limits' }));
    const keys = (items.Items ?? []).map((item) => item.pk?.S).sort();
    expect(keys).toEqual([
      'active#front-door',
      'caller#user:alice',
      'stream#front-door',
      'stream#front-door#user:alice',
    ]);
    // The session was recorded (the cap counts it) before KVS, and taken back when KVS failed.
    const sessions = await dynamo.admin.send(new ScanCommand({ TableName: 'sessions' }));
    expect(sessions.Items).toEqual([]);
  });

  it('never touches the table for a request no grant allows', async () => {
    const before = await dynamo.admin.send(new ScanCommand({ TableName: 'limits' }));
    const response = await handler(event({ streamName: 'garage', headers: bearer('bob') }), context);
    expect(response.statusCode).toBe(403);
    const after = await dynamo.admin.send(new ScanCommand({ TableName: 'limits' }));
    expect(after.Items?.map((item) => item.pk?.S).sort()).toEqual(
      before.Items?.map((item) => item.pk?.S).sort(),
    );
  });

  it('fails closed with 503 when the table cannot be used', async () => {
    await dynamo.admin.send(new DeleteTableCommand({ TableName: 'limits' }));
    const response = await handler(event({ streamName: 'front-door', headers: bearer('alice') }), context);
    expect(response.statusCode).toBe(503);
    expect(errorOf(response).code).toBe('UPSTREAM_UNAVAILABLE');
    // Refused by the admission table, before KVS (which would say so in its own words).
    expect(errorOf(response).message).toMatch(/admission table/);
    expect(JSON.stringify(response.body)).not.toContain('SessionToken');
    // A caller is told when to try again, 1 to 3 s, so that a failed burst does not come back as one.
    expect(['1', '2', '3']).toContain(response.headers?.['Retry-After']);
  });
});
