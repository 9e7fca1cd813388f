import { startLeakGuard, type LeakGuard } from '../support/leak-guard';

const SESSION_URL =
  'http://127.0.0.1:4567/b-1a2b3c4d/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=CiBzZXNzaW9uLXRva2VuLXZhbHVlLTAxMjM0NTY3';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0wMTIzNDU2Nzg5';

describe('leak guard', () => {
  let guard: LeakGuard | undefined;
  afterEach(() => guard?.stop());

  it('finds a session token written to stdout, even URL-encoded, and masks it in the report', () => {
    guard = startLeakGuard();
    guard.sessionUrl(SESSION_URL);

    process.stdout.write(`{"level":"INFO","url":"${encodeURIComponent(SESSION_URL)}"}\n`);
    guard.stop();

    expect(guard.leaks().map((leak) => leak.secret)).toContain('session URL');
    expect(() => guard!.assertNoLeaks()).toThrow(/leaked/);
    expect(() => guard!.assertNoLeaks()).not.toThrow(/CiBzZXNzaW9u/);
  });

  it('finds a JWT signature on its own in a console line and in an error body', () => {
    guard = startLeakGuard();
    guard.jwt(JWT);

    console.warn('token rejected', { signature: JWT.split('.')[2] });
    guard.response({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: `{"error":{"message":"bad ${JWT}"}}`,
    });
    guard.stop();

    const places = guard.leaks().map((leak) => `${leak.secret} @ ${leak.where}`);
    expect(places).toEqual(expect.arrayContaining(['JWT signature @ log output', 'JWT @ body of a 401']));
  });

  it('scans the headers of every answer and the body only of non-2xx answers', () => {
    guard = startLeakGuard();
    guard.sessionUrl(SESSION_URL);

    guard.response({
      status: 200,
      headers: new Headers({ 'x-request-id': 'r-1' }),
      body: `{"url":"${SESSION_URL}"}`,
    });
    expect(guard.leaks()).toEqual([]);
    guard.response({ status: 200, headers: new Headers({ location: SESSION_URL }), body: '' });
    guard.stop();

    const leaks = guard.leaks();
    expect(leaks.length).toBeGreaterThan(0);
    expect(new Set(leaks.map((leak) => leak.where))).toEqual(new Set(['headers of a 200']));
  });

  it('swallows writes while running, keeps them, and restores stdout on stop', () => {
    const original = process.stdout.write;
    guard = startLeakGuard();

    process.stdout.write('captured line\n');
    guard.stop();

    expect(guard.lines()).toEqual(['captured line\n']);
    expect(process.stdout.write).toBe(original);
    guard.assertNoLeaks();
  });

  it('finds session tokens and JWTs it was never told about, by their shape', () => {
    guard = startLeakGuard();

    process.stderr.write(`retrying ${SESSION_URL}\n`);
    guard.response({ status: 500, headers: {}, body: `{"token":"${JWT}"}` });
    guard.response({ status: 502, headers: { 'x-debug': 'key ASIAQWERTYUIOPASDFGH' }, body: '{}' });
    guard.stop();

    expect(guard.leaks().map((leak) => `${leak.secret} @ ${leak.where}`)).toEqual([
      'session token parameter @ log output',
      'JWT-shaped string @ body of a 500',
      'AWS access key id @ headers of a 502',
    ]);
  });

  it('in streaming mode keeps no lines, yet reports what leaked while it ran', () => {
    guard = startLeakGuard({ retain: false });
    guard.secret('AKIASTREAMINGMODE0001', 'AWS access key id');

    for (let index = 0; index < 1000; index += 1) process.stdout.write(`request ${index} served\n`);
    process.stdout.write('signed with AKIASTREAMINGMODE0001\n');
    guard.stop();

    expect(guard.lines()).toEqual([]);
    expect(guard.leaks()).toEqual([
      expect.objectContaining({ secret: 'AWS access key id', where: 'log output' }),
    ]);
  });

  it('refuses a secret too short to be searched for without false positives', () => {
    guard = startLeakGuard();

    expect(() => guard!.secret('local', 'AWS secret key')).toThrow(/too short/);
  });
});
