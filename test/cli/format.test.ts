import { formatRevocation } from '../../cli/admin/format';

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
