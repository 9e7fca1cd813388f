import {
  formatGrant,
  formatGrantList,
  formatRevocation,
  formatSessions,
  jsonForTerminal,
} from '../../cli/admin/format';

/** What the admin CLI prints for people (scripts take --json). */
describe('the CLI says what a revocation does, per kind of principal', () => {
  const revoked = (principal: string, outstandingSessions = 0) =>
    formatRevocation({
      revocation: { principal, revokedAt: '2026-12-02T04:00:00Z' },
      outstandingSessions,
      sessionsEndBy: null,
    }).split('\n')[0];

  it('a user or a partner: every vend and list is refused', () => {
    expect(revoked('user:alice')).toBe('Revoked user:alice: every vend and list is refused from now on.');
    expect(revoked('partner:acme')).toBe('Revoked partner:acme: every vend and list is refused from now on.');
  });

  it("a group: what the group grants counts no more; its members keep their own grants and other groups'", () => {
    expect(revoked('group:security')).toBe(
      "Revoked group:security: its grants allow nothing from now on; its members keep their own grants and other groups' grants.",
    );
  });
});

describe('the CLI escapes control characters in what it prints from the API', () => {
  const hostile = 'sharing\u001b[31m\nRevoked nobody\u0000\u007f\u0085\u009b2J';
  const escaped = 'sharing\\u001b[31m\\u000aRevoked nobody\\u0000\\u007f\\u0085\\u009b2J';
  const controls = /(?!\n)\p{Cc}/u;

  it('in a grant list with a revocation reason, one line per row', () => {
    const printed = formatGrantList({
      principal: 'user:mallory',
      grants: [],
      revocation: { revokedAt: '2026-12-02T04:00:00Z', reason: hostile, inForce: true },
    });
    expect(printed).toBe(
      `user:mallory is revoked since 2026-12-02T04:00:00Z: ${escaped}\nuser:mallory has no grants.`,
    );
  });

  it('in a grant, a session table and a revocation', () => {
    const grant = formatGrant({ principal: 'user:x', grantId: `g${hostile}`, updatedBy: hostile });
    expect(grant).toContain(`g${escaped}`);
    expect(grant).not.toMatch(controls);
    expect(grant.split('\n')).toHaveLength(3);
    const sessions = formatSessions([
      { principal: `user:${hostile}`, stream: 'front-door', sourceIp: hostile },
    ]);
    expect(sessions).not.toMatch(controls);
    expect(sessions.split('\n')).toHaveLength(2);
    const revocation = formatRevocation({
      revocation: { principal: `user:${hostile}` },
      outstandingSessions: 0,
    });
    expect(revocation).not.toMatch(controls);
    expect(revocation.split('\n')).toHaveLength(2);
  });

  it('as JSON: DEL and C1 escaped too (JSON.stringify leaves them raw), the value unchanged', () => {
    const printed = jsonForTerminal({ reason: hostile });
    expect(printed).not.toMatch(controls);
    expect(JSON.parse(printed)).toEqual({ reason: hostile });
  });
});
