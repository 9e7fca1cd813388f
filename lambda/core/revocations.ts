import { ForbiddenError } from './errors';
import type { Caller, Revocation } from './model';

/** Whether a revocation holds at `now` (epoch ms): always, or until its `until`. */
export function isInForce(revocation: Revocation, now: number): boolean {
  return revocation.until === undefined || revocation.until > now;
}

/**
 * The caller as its revocations leave it. A revoked `user:` or `partner:` principal (the caller itself)
 * is refused with the same ForbiddenError as a request no grant allows, so a revoked caller learns
 * nothing more than any other refused one; a revoked `group:` principal is dropped from the caller's
 * principals, so that group's grants no longer count while the caller's own and other groups' still do.
 */
export function applyRevocations(caller: Caller, revocations: readonly Revocation[], now: number): Caller {
  const revoked = new Set(
    revocations.filter((revocation) => isInForce(revocation, now)).map((revocation) => revocation.principal),
  );
  if (revoked.size === 0) return caller;
  if (revoked.has(`${caller.kind}:${caller.id}`)) throw new ForbiddenError();
  return { ...caller, principals: caller.principals.filter((principal) => !revoked.has(principal)) };
}
