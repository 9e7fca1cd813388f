import { createServer, type AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { main, type CliIo } from '../../cli/admin';
import { signedFetch } from '../../cli/admin/signed-fetch';
import { routesOf } from '../../lambda/contract';
import { LOCAL_OPERATOR } from '../../local/api-gateway/iam-authorization';
import { startGuardedStack, type GuardedStack, type RawAnswer } from '../support/guarded-stack';

/**
 * The operator's side over HTTP against the local stack: the CLI as `npm run admin` runs it (signed with
 * the local credentials), the vend function as a pool of instances whose grant caches would keep a
 * change out for an hour (GRANTS_CACHE_TTL_SECONDS), and the admin routes' refusals.
 */

const CONCURRENCY = 3;
const LIFTED_QUOTAS = {
  sessionUrlPerStream: 100_000,
  getDataEndpointPerStream: 100_000,
  getDataEndpointPerAccount: 100_000,
};

interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** The JSON log lines of everything the stack wrote while the guard ran. */
function jsonLines(env: GuardedStack): Record<string, unknown>[] {
  return env.guard
    .lines()
    .flatMap((write) => write.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(condition()).toBe(true);
}

describe('the admin API and CLI against the local stack', () => {
  let env: GuardedStack;
  let apiPort: string;

  /** `npm run admin -- <args>` with the environment of a shell that ran `npm start` (no AWS credentials). */
  const admin = async (args: string[], stdin = ''): Promise<CliRun> => {
    let out = '';
    let err = '';
    const io: CliIo = {
      env: { API_PORT: apiPort },
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      readStdin: () => stdin,
    };
    const code = await main(args, io);
    return { code, out, err };
  };
  const adminJson = async (args: string[], stdin?: string): Promise<Record<string, unknown>> => {
    const run = await admin([...args, '--json'], stdin);
    expect(run).toMatchObject({ code: 0, err: '' });
    return JSON.parse(run.out) as Record<string, unknown>;
  };

  const vend = (token: string, stream = 'front-door'): Promise<RawAnswer> =>
    env.send({ path: `/v1/streams/${stream}/playback-url`, token, json: {} });
  const partnerVend = (): Promise<RawAnswer> =>
    env.send({
      path: '/partner/v1/streams/front-door/playback-url',
      apiKey: env.stack.partners[0]!.apiKey,
      json: {},
    });

  beforeAll(async () => {
    env = await startGuardedStack({
      lambdaConcurrency: CONCURRENCY,
      env: {
        POWERTOOLS_METRICS_DISABLED: 'true',
        // Without the control epoch, no change would reach a warm instance within the test.
        GRANTS_CACHE_TTL_SECONDS: '3600',
      },
      emulator: { quotas: LIFTED_QUOTAS },
    });
    apiPort = new URL(env.stack.apiUrl).port;
  });
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(() => {
    env.stack.emulator.setFaults({});
    env.guard.assertNoLeaks();
  });

  /** Every instance the concurrency allows, started and holding `token`'s grants in its cache. */
  const warmEveryInstance = async (token: string, expected: number): Promise<void> => {
    env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 400 } });
    const answers = await Promise.all(Array.from({ length: CONCURRENCY }, () => vend(token)));
    env.stack.emulator.setFaults({});
    expect(answers.map((answer) => answer.status)).toEqual(Array<number>(CONCURRENCY).fill(expected));
    expect(env.stack.lambda.stats()).toMatchObject({ instances: CONCURRENCY, busy: 0 });
  };

  /**
   * One request of `token` on each instance: before request i, i slow vends of bob hold the instances
   * last used, so (idle instances are taken last-in first-out) the request runs on the next one down.
   */
  const onEveryInstance = async (token: string): Promise<RawAnswer[]> => {
    const bob = env.token('bob');
    const answers: RawAnswer[] = [];
    for (let held = 0; held < CONCURRENCY; held += 1) {
      env.stack.emulator.setFaults({ latencyMs: { GetHLSStreamingSessionURL: 600 } });
      const holders = Array.from({ length: held }, () => vend(bob, 'backyard'));
      await waitFor(() => env.stack.lambda.stats().busy === held);
      answers.push(await vend(token));
      expect((await Promise.all(holders)).map((answer) => answer.status)).toEqual(
        Array<number>(held).fill(200),
      );
      env.stack.emulator.setFaults({});
    }
    // No instance started meanwhile: every answer came from an instance that had cached the grants.
    expect(env.stack.lambda.stats()).toMatchObject({ instances: CONCURRENCY, throttles: 0 });
    return answers;
  };

  it('a grant put through the CLI lets that user vend from the next request, on every instance', async () => {
    const carol = env.token('carol');
    await warmEveryInstance(carol, 403);
    const file = env.scratchFile('carol.json', {
      grantId: 'carol-front-door',
      streams: ['front-door'],
      playbackModes: ['LIVE'],
      protocols: ['HLS'],
      maxExpiresInSeconds: 300,
    });

    const put = await admin(['grant', 'put', 'user:carol', file]);

    expect(put).toEqual({
      code: 0,
      out: 'Created grant carol-front-door of user:carol (now version 1).\n',
      err: '',
    });
    const answers = await onEveryInstance(carol);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    // The record reads back as written, with who wrote it.
    const read = await adminJson(['grant', 'get', 'user:carol', 'carol-front-door']);
    expect(read).toMatchObject({
      principal: 'user:carol',
      grantId: 'carol-front-door',
      streams: ['front-door'],
      version: 1,
      updatedBy: LOCAL_OPERATOR.userArn,
    });
  });

  it('refuses a put that would overwrite a change it did not see, and audits every change with who, before and after', async () => {
    const grant = {
      grantId: 'dora-backyard',
      streams: ['backyard'],
      playbackModes: ['LIVE'],
      protocols: ['HLS'],
      maxExpiresInSeconds: 300,
    };
    const created = await admin(['grant', 'put', 'user:dora', '-'], JSON.stringify(grant));
    expect(created.code).toBe(0);
    // Versions come from a table-wide counter: each write's is larger than the one before.
    const v1 = Number(/now version (\d+)\)/.exec(created.out)?.[1]);
    expect(v1).toBeGreaterThan(0);

    // A second create of the same grant, and a replace of a version that is no longer current, are refused.
    const again = await admin(['grant', 'put', 'user:dora', '-'], JSON.stringify(grant));
    expect(again.code).toBe(1);
    expect(again.err).toBe(
      `admin: 412 PRECONDITION_FAILED: The grant exists (version ${v1}): replace it with If-Match. To replace it, put the grant with "version": ${v1} (grant get shows it).\n`,
    );
    const first = await admin(
      ['grant', 'put', 'user:dora', '-'],
      JSON.stringify({ ...grant, version: v1, maxExpiresInSeconds: 600 }),
    );
    expect(first.code).toBe(0);
    const v2 = Number(/now version (\d+)\)/.exec(first.out)?.[1]);
    expect(v2).toBeGreaterThan(v1);
    const stale = await admin(
      ['grant', 'put', 'user:dora', '-'],
      JSON.stringify({ ...grant, version: v1, protocols: ['DASH'] }),
    );
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(
      new RegExp(
        `^admin: 412 PRECONDITION_FAILED: The grant is at version ${v2}: .* Someone changed it meanwhile`,
      ),
    );
    expect(await adminJson(['grant', 'get', 'user:dora', 'dora-backyard'])).toMatchObject({
      version: v2,
      protocols: ['HLS'],
      maxExpiresInSeconds: 600,
    });

    // Two operators racing on the same version: exactly one wins.
    const racers = await Promise.all(
      [900, 1200].map((seconds) =>
        admin(
          ['grant', 'put', 'user:dora', '-'],
          JSON.stringify({ ...grant, version: v2, maxExpiresInSeconds: seconds }),
        ),
      ),
    );
    expect(racers.map((run) => run.code).sort()).toEqual([0, 1]);

    // A record the vend function would skip is refused, with details.
    const invalid = await admin(
      ['grant', 'put', 'user:dora', '-'],
      JSON.stringify({ ...grant, grantId: 'bad', streams: [] }),
    );
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^admin: 400 INVALID_REQUEST: The grant is invalid\. \(streams: /);

    const deleted = await admin(['grant', 'delete', 'user:dora', 'dora-backyard']);
    expect(deleted.code).toBe(0);

    const changes = jsonLines(env)
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter(
        (audit): audit is Record<string, unknown> =>
          audit?.outcome === 'changed' && audit.principal === 'user:dora',
      );
    expect(changes.map((audit) => audit.action)).toEqual([
      'grant.create',
      'grant.replace',
      'grant.replace',
      'grant.delete',
    ]);
    for (const audit of changes) {
      expect(audit).toMatchObject({
        operator: LOCAL_OPERATOR.userArn,
        accessKey: 'local',
        grantId: 'dora-backyard',
        route: expect.stringMatching(
          /^(PUT|DELETE) \/admin\/v1\/principals\/\{principal\}\/grants\/\{grantId\}$/,
        ) as unknown,
      });
    }
    expect(changes[0]).toMatchObject({ before: null, after: { version: v1, maxExpiresInSeconds: 300 } });
    expect(changes[1]).toMatchObject({
      before: { version: v1, maxExpiresInSeconds: 300 },
      after: { version: v2, maxExpiresInSeconds: 600 },
    });
    expect(changes[2]).toMatchObject({ before: { version: v2 } });
    const v3 = (changes[2]!.after as { version: number }).version;
    expect(v3).toBeGreaterThan(v2);
    expect(changes[3]).toMatchObject({ before: { version: v3 }, after: null });
  });

  it("shows the stack's partner grants and refuses to change or delete them", async () => {
    const partner = `partner:${env.stack.partners[0]!.apiKeyId}`;
    const listed = await adminJson(['grant', 'list', partner]);
    const grants = listed.grants as Record<string, unknown>[];
    expect(grants).toEqual([
      expect.objectContaining({ grantId: 'demo-partner-front-door', managedBy: 'stack' }),
    ]);

    const put = await admin(
      ['grant', 'put', partner, '-'],
      JSON.stringify({ ...grants[0], version: grants[0]!.version, streams: ['*'] }),
    );
    const deleted = await admin(['grant', 'delete', partner, 'demo-partner-front-door']);

    expect(put.code).toBe(1);
    expect(put.err).toMatch(/^admin: 409 MANAGED_BY_STACK: /);
    expect(deleted.code).toBe(1);
    expect(deleted.err).toMatch(/^admin: 409 MANAGED_BY_STACK: /);
    expect((await partnerVend()).status).toBe(200);
  });

  it('revoking a user refuses its next vend and list on every instance, answers when its sessions end, and unrevoke restores it', async () => {
    const alice = env.token('alice');
    const nobody = env.token('nobody');
    await warmEveryInstance(alice, 200);
    const vended = (await adminJson(['sessions', '--principal', 'user:alice'])).sessions as {
      expiresAt: string;
    }[];
    expect(vended.length).toBeGreaterThanOrEqual(CONCURRENCY);

    const revoked = await adminJson(['revoke', 'user:alice', '--reason', 'account sharing']);

    expect(revoked).toMatchObject({
      revocation: {
        principal: 'user:alice',
        reason: 'account sharing',
        revokedBy: LOCAL_OPERATOR.userArn,
        inForce: true,
      },
      outstandingSessions: vended.length,
      sessionsEndBy: vended
        .map((session) => session.expiresAt)
        .sort()
        .at(-1),
    });
    const answers = await onEveryInstance(alice);
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403]);
    // Nothing more than any other refusal says.
    const other = await vend(nobody);
    for (const answer of answers) {
      const { requestId: _a, ...refusal } = (answer.json as { error: Record<string, unknown> }).error;
      const { requestId: _b, ...plain } = (other.json as { error: Record<string, unknown> }).error;
      expect(refusal).toEqual(plain);
    }
    const list = await env.send({ path: '/v1/streams', token: alice });
    expect(list.status).toBe(403);
    const table = await admin(['grant', 'list', 'user:alice']);
    expect(table.out).toContain('account sharing');

    expect((await admin(['unrevoke', 'user:alice'])).code).toBe(0);
    expect((await onEveryInstance(alice)).map((answer) => answer.status)).toEqual([200, 200, 200]);
  });

  it('revoking a group stops what the group grants while its members keep their own grants; revoking a partner refuses it', async () => {
    const sam = env.token('sam', ['security']);
    const aliceInGroup = env.token('alice', ['security']);
    expect((await vend(sam, 'backyard')).status).toBe(200);

    await adminJson(['revoke', 'group:security', '--until', new Date(Date.now() + 3_600_000).toISOString()]);

    expect((await vend(sam, 'backyard')).status).toBe(403);
    expect((await vend(aliceInGroup, 'front-door')).status).toBe(200);
    expect((await vend(aliceInGroup, 'backyard')).status).toBe(403);
    expect((await admin(['unrevoke', 'group:security'])).code).toBe(0);
    expect((await vend(sam, 'backyard')).status).toBe(200);

    const partner = `partner:${env.stack.partners[0]!.apiKeyId}`;
    await adminJson(['revoke', partner]);
    expect((await partnerVend()).status).toBe(403);
    expect((await admin(['unrevoke', partner])).code).toBe(0);
    expect((await partnerVend()).status).toBe(200);
  });

  it('lists the outstanding sessions of a stream and of a principal: who, what, when, from where, never the URL', async () => {
    const erin = env.token('erin');
    const file = env.scratchFile('erin.json', {
      grantId: 'erin-backyard',
      streams: ['backyard'],
      playbackModes: ['LIVE'],
      protocols: ['HLS', 'DASH'],
      maxExpiresInSeconds: 600,
    });
    expect((await admin(['grant', 'put', 'user:erin', file])).code).toBe(0);
    const answers = [
      await env.send({
        path: '/v1/streams/backyard/playback-url',
        token: erin,
        json: { protocol: 'DASH' },
        headers: [['user-agent', 'erin-player/1.0']],
      }),
      await env.send({
        path: '/v1/streams/backyard/playback-url',
        token: erin,
        json: { expiresInSeconds: 400 },
        headers: [['user-agent', 'erin-player/1.0']],
      }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);

    const byPrincipal = (await adminJson(['sessions', '--principal', 'user:erin'])).sessions as Record<
      string,
      unknown
    >[];
    const byStream = (await adminJson(['sessions', '--stream', 'backyard'])).sessions as Record<
      string,
      unknown
    >[];

    expect(byPrincipal).toHaveLength(2);
    const requestIds = answers.map((answer) => answer.headers['x-amzn-requestid']);
    expect(byPrincipal.map((session) => session.requestId).sort()).toEqual([...requestIds].sort());
    for (const [index, answer] of answers.entries()) {
      const session = byPrincipal.find((entry) => entry.requestId === requestIds[index])!;
      expect(session).toMatchObject({
        principal: 'user:erin',
        grantPrincipal: 'user:erin',
        stream: 'backyard',
        protocol: index === 0 ? 'DASH' : 'HLS',
        playbackMode: 'LIVE',
        expiresAt: (answer.json as { expiresAt: string }).expiresAt,
        sourceIp: '127.0.0.1',
        userAgent: 'erin-player/1.0',
      });
      expect(JSON.stringify(session)).not.toContain((answer.json as { url: string }).url);
      expect(Object.keys(session)).not.toContain('url');
    }
    // The stream's sessions include erin's and those of every other caller of that stream.
    expect(byStream.filter((session) => session.principal === 'user:erin')).toHaveLength(2);
    expect(byStream.some((session) => session.principal === 'user:bob')).toBe(true);
    const table = await admin(['sessions', '--stream', 'backyard']);
    expect(table.code).toBe(0);
    expect(table.out).toContain('user:erin');

    const none = await admin(['sessions', '--principal', 'user:erin', '--stream', 'backyard']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^admin: give exactly one of --stream NAME and --principal P\n/);
  });

  it('the CLI: --api names the local stack too; a bad command line exits 2, an unreachable API 1, each with one clear line', async () => {
    const listed = await admin(['--api', env.stack.apiUrl, 'grant', 'list', 'user:alice', '--json']);
    expect(listed.code).toBe(0);
    expect(
      (JSON.parse(listed.out) as { grants: { grantId: string }[] }).grants.map((grant) => grant.grantId),
    ).toContain('demo-alice-front-door');
    const table = await admin(['grant', 'list', 'user:alice']);
    expect(table.out.split('\n')[0]).toMatch(/^GRANT ID\s+STREAMS\s+MODES\s+PROTOCOLS/);

    const unknown = await admin(['grant', 'rename', 'user:alice']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.split('\n')[0]).toBe('admin: unknown command "grant rename"');
    const badPrincipal = await admin(['grant', 'list', 'alice']);
    expect(badPrincipal.code).toBe(2);
    expect(badPrincipal.err.split('\n')[0]).toBe(
      'admin: alice is no principal: use user:<sub>, group:<name> or partner:<apiKeyId>',
    );
    const badUntil = await admin(['revoke', 'user:alice', '--until', 'tomorrow']);
    expect(badUntil.code).toBe(2);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await admin(['--api', `http://127.0.0.1:${port}`, 'grant', 'list', 'user:alice']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/^admin: .*\(ECONNREFUSED\)\n$/);
    expect(unreachable.out).toBe('');
  });

  /** One admin request signed as the CLI signs it locally; the answer as received. */
  const api = (
    method: string,
    path: string,
    request: { body?: unknown; headers?: Record<string, string> } = {},
  ): ReturnType<ReturnType<typeof signedFetch>> =>
    signedFetch({
      api: new URL(env.stack.apiUrl),
      region: 'us-east-1',
      credentials: LOCAL_OPERATOR.credentials,
    })(method, path, request);
  const helgaGrant = {
    streams: ['front-door'],
    playbackModes: ['LIVE'],
    protocols: ['HLS'],
    maxExpiresInSeconds: 300,
  };

  it('refuses a caller limit slower than one request a day with 400 details, never a 500', async () => {
    for (const ratePerSecond of [1e-130, 1e-200, 5e-324]) {
      const put = await api('PUT', '/admin/v1/principals/user%3Ahelga/grants/slow', {
        body: { ...helgaGrant, callerLimit: { ratePerSecond, burst: 1 } },
        headers: { 'if-none-match': '*' },
      });
      expect(put).toMatchObject({
        status: 400,
        body: {
          error: {
            code: 'INVALID_REQUEST',
            details: [
              { field: 'callerLimit.ratePerSecond', issue: expect.stringContaining('at least') as unknown },
            ],
          },
        },
      });
    }
    const daily = await api('PUT', '/admin/v1/principals/user%3Ahelga/grants/daily', {
      body: { ...helgaGrant, callerLimit: { ratePerSecond: 1 / 86_400, burst: 1 } },
      headers: { 'if-none-match': '*' },
    });
    expect(daily).toMatchObject({
      status: 201,
      body: { callerLimit: { ratePerSecond: 1 / 86_400, burst: 1 } },
    });
  });

  it('never gives a grant key a version it had before: a stale If-Match fails after a delete and re-create', async () => {
    const path = '/admin/v1/principals/user%3Aivan/grants/ivan-door';
    const created = await api('PUT', path, { body: helgaGrant, headers: { 'if-none-match': '*' } });
    expect(created.status).toBe(201);
    // Operator A reads the grant; operator B deletes it and creates it again.
    const seenByA = (await api('GET', path)).headers.get('etag')!;
    expect(seenByA).toBe(created.headers.get('etag'));
    expect((await api('DELETE', path, { headers: { 'if-match': seenByA } })).status).toBe(200);
    const recreated = await api('PUT', path, {
      body: { ...helgaGrant, protocols: ['DASH'] },
      headers: { 'if-none-match': '*' },
    });
    expect(recreated.status).toBe(201);
    const current = recreated.headers.get('etag')!;
    expect(current).not.toBe(seenByA);

    // A's stale version neither replaces nor deletes B's grant.
    const stale = await api('PUT', path, {
      body: { ...helgaGrant, maxExpiresInSeconds: 600 },
      headers: { 'if-match': seenByA },
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe(current);
    expect((await api('DELETE', path, { headers: { 'if-match': seenByA } })).status).toBe(412);
    // If-None-Match: * still refuses a grant that exists.
    expect((await api('PUT', path, { body: helgaGrant, headers: { 'if-none-match': '*' } })).status).toBe(
      412,
    );
    expect((await api('GET', path)).body).toMatchObject({ protocols: ['DASH'], maxExpiresInSeconds: 300 });
    const replaced = await api('PUT', path, { body: helgaGrant, headers: { 'if-match': current } });
    expect(replaced.status).toBe(200);
    expect([seenByA, current]).not.toContain(replaced.headers.get('etag'));
  });

  it('If-Match compares strongly: a weak tag never matches (412), an unquoted one is malformed (400)', async () => {
    const path = '/admin/v1/principals/user%3Ajude/grants/jude-door';
    const created = await api('PUT', path, { body: helgaGrant, headers: { 'if-none-match': '*' } });
    expect(created.status).toBe(201);
    const tag = created.headers.get('etag')!;
    const version = tag.replaceAll('"', '');

    const weak = await api('PUT', path, {
      body: { ...helgaGrant, maxExpiresInSeconds: 600 },
      headers: { 'if-match': `W/${tag}` },
    });
    expect(weak).toMatchObject({ status: 412, body: { error: { code: 'PRECONDITION_FAILED' } } });
    expect((await api('DELETE', path, { headers: { 'if-match': `W/${tag}` } })).status).toBe(412);
    for (const malformed of [version, `"${version}`, `W/${version}`]) {
      const answer = await api('PUT', path, {
        body: { ...helgaGrant, maxExpiresInSeconds: 600 },
        headers: { 'if-match': malformed },
      });
      expect(answer).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_REQUEST', details: [{ field: 'If-Match' }] } },
      });
    }
    expect((await api('GET', path)).body).toMatchObject({ maxExpiresInSeconds: 300 });
    expect((await api('DELETE', path, { headers: { 'if-match': tag } })).status).toBe(200);
  });

  it('refuses principals and grant ids with control characters (C0, DEL, C1), and the CLI prints stored text escaped', async () => {
    for (const control of ['\u001b', '\u0000', '\u007f', '\u0085', '\u009b']) {
      const principal = encodeURIComponent(`user:kim${control}`);
      const put = await api('PUT', `/admin/v1/principals/${principal}/grants/kim`, {
        body: helgaGrant,
        headers: { 'if-none-match': '*' },
      });
      expect(put).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_REQUEST', details: [{ field: 'principal' }] } },
      });
      const revoke = await api('PUT', `/admin/v1/principals/${principal}/revocation`, { body: {} });
      expect(revoke.status).toBe(400);
      const sessions = await signedFetch({
        api: new URL(env.stack.apiUrl),
        region: 'us-east-1',
        credentials: LOCAL_OPERATOR.credentials,
      })('GET', '/admin/v1/sessions', { query: { principal: `user:kim${control}` } });
      expect(sessions.status).toBe(400);
      const grantId = encodeURIComponent(`kim${control}`);
      const badId = await api('PUT', `/admin/v1/principals/user%3Akim/grants/${grantId}`, {
        body: helgaGrant,
        headers: { 'if-none-match': '*' },
      });
      expect(badId).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_REQUEST', details: [{ field: 'grantId' }] } },
      });
    }

    // A reason is free text: stored as given, printed escaped, one line.
    expect(
      (await admin(['revoke', 'user:kim', '--reason', 'gone\u001b[2J\nuser:kim is not revoked\u0085'])).code,
    ).toBe(0);
    const listed = await admin(['grant', 'list', 'user:kim']);
    expect(listed.out).toMatch(
      /^user:kim is revoked since \S+: gone\\u001b\[2J\\u000auser:kim is not revoked\\u0085\nuser:kim has no grants\.\n$/,
    );
    const asJson = await admin(['grant', 'list', 'user:kim', '--json']);
    expect(asJson.out).not.toMatch(/(?!\n)\p{Cc}/u);
    expect(JSON.parse(asJson.out)).toMatchObject({
      revocation: { reason: 'gone\u001b[2J\nuser:kim is not revoked\u0085' },
    });
    expect((await admin(['unrevoke', 'user:kim'])).code).toBe(0);
  });

  it('logs an invalid grant record it skips with its grantId and the reason, and serves the caller as without it', async () => {
    const client = new DynamoDBClient({
      endpoint: env.stack.dynamoDbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await client.send(
      new PutItemCommand({
        TableName: 'kvs-url-vending-grants',
        Item: marshall({
          principal: 'user:frank',
          grantId: 'frank-typo',
          streams: ['front-door'],
          playbackModes: ['LIVE'],
          protocols: ['HLS'],
          maxExpiresInSeconds: 'soon',
        }),
      }),
    );
    client.destroy();

    expect((await vend(env.token('frank'))).status).toBe(403);

    const warnings = jsonLines(env).filter((line) => line.message === 'Ignored an invalid grant record');
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'WARN',
        principal: 'user:frank',
        grantId: 'frank-typo',
        reason: expect.stringContaining('maxExpiresInSeconds') as unknown,
      }),
    ]);
    // The admin API shows it as the vend function reads it: invalid, with the same reason.
    const listed = await adminJson(['grant', 'list', 'user:frank']);
    expect(listed.grants).toEqual([
      expect.objectContaining({
        grantId: 'frank-typo',
        invalid: [expect.objectContaining({ field: 'maxExpiresInSeconds' })],
      }),
    ]);
  });
});

describe('the admin routes refuse every request without a valid signature of the operator', () => {
  let env: GuardedStack;

  beforeAll(async () => {
    env = await startGuardedStack({ env: { POWERTOOLS_METRICS_DISABLED: 'true' } });
  });
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(() => {
    env.guard.assertNoLeaks();
  });

  // Reads name a grant of the seed; the put creates, and the delete removes, one of their own.
  const concrete = (resource: string, method: string): string =>
    resource
      .replace('{principal}', 'user%3Aalice')
      .replace('{grantId}', method === 'GET' ? 'demo-alice-front-door' : 'admin-probe');

  const routes = routesOf('admin').map((route) => ({
    method: route.method,
    path:
      concrete(route.resource, route.method) +
      (route.resource.endsWith('/sessions') ? '?principal=user%3Aalice' : ''),
    body: route.requestBody
      ? JSON.stringify(
          route.method === 'PUT' && route.resource.endsWith('revocation')
            ? {}
            : { streams: ['*'], playbackModes: ['LIVE'], protocols: ['HLS'], maxExpiresInSeconds: 300 },
        )
      : undefined,
  }));

  /** Signed as the CLI signs, with these credentials; the answer as received. */
  const signedAs = async (
    credentials: { accessKeyId: string; secretAccessKey: string },
    route: (typeof routes)[number],
  ): Promise<{ status: number; body: unknown }> => {
    const fetchSigned = signedFetch({ api: new URL(env.stack.apiUrl), region: 'us-east-1', credentials });
    const [path, query] = route.path.split('?');
    const response = await fetchSigned(route.method, path!, {
      ...(query ? { query: Object.fromEntries(new URLSearchParams(query)) } : {}),
      ...(route.body ? { body: JSON.parse(route.body) as unknown } : {}),
      headers: route.method === 'PUT' && route.path.includes('/grants/') ? { 'if-none-match': '*' } : {},
    });
    return { status: response.status, body: response.body };
  };

  const expectRefusal = (status: number, body: unknown): void => {
    expect([401, 403]).toContain(status);
    expect(body).toEqual({
      error: {
        code: expect.stringMatching(/^(UNAUTHENTICATED|FORBIDDEN)$/) as unknown,
        message: expect.any(String) as unknown,
        requestId: expect.any(String) as unknown,
      },
    });
  };

  it('covers every admin route', () => {
    expect(routes).toHaveLength(7);
  });

  it.each(routes)(
    '$method $path: unsigned, with a JWT, with a partner key, a malformed or a wrong signature: 401/403 in the error shape, no data',
    async (route) => {
      const token = env.token('alice');
      const attempts: RawAnswer[] = [];
      const send = (
        headers: (readonly [string, string])[],
        extra: { token?: string; apiKey?: string } = {},
      ) =>
        env.send({
          method: route.method,
          path: route.path,
          headers: [...headers, ...(route.body ? ([['content-type', 'application/json']] as const) : [])],
          ...(route.body ? { body: route.body } : {}),
          ...extra,
        });
      attempts.push(await send([]));
      attempts.push(await send([], { token }));
      attempts.push(await send([], { apiKey: env.stack.partners[0]!.apiKey }));
      attempts.push(
        await send([
          ['authorization', 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/execute-api/aws4_request'],
        ]),
      );
      attempts.push(await send([['authorization', `AWS4-HMAC-SHA256 ${token}`]]));
      for (const answer of attempts) {
        expect(answer.status).not.toBe(404);
        expectRefusal(answer.status, answer.json);
      }
      // No AWS signature (none, a bearer token, an API key, a malformed one): API Gateway's
      // MissingAuthenticationToken / IncompleteSignature, answered 401 from the contract's table.
      for (const answer of attempts) {
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe('AWS4-HMAC-SHA256');
      }
      const wrongSecret = await signedAs({ accessKeyId: 'local', secretAccessKey: 'not-local' }, route);
      const unknownKey = await signedAs(
        { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'local' },
        route,
      );
      expectRefusal(wrongSecret.status, wrongSecret.body);
      expectRefusal(unknownKey.status, unknownKey.body);
      expect([wrongSecret.status, unknownKey.status]).toEqual([403, 403]);
      // None reached the admin function: it leaves an audit line for every request it answers.
      const refusedIds = new Set(attempts.map((answer) => String(answer.headers['x-amzn-requestid'])));
      const reached = jsonLines(env).filter((line) =>
        refusedIds.has(String((line.audit as { requestId?: unknown } | undefined)?.requestId)),
      );
      expect(reached).toEqual([]);

      // Signed with the local credentials, the same request is served.
      const served = await signedAs({ accessKeyId: 'local', secretAccessKey: 'local' }, route);
      expect(served.status).toBeLessThan(300);
    },
  );
});
