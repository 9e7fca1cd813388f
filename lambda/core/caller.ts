import { UnauthenticatedError } from './errors';
import type { Caller } from './model';

/**
 * One claim by default. A list is possible (first claim present wins), but it is a fallback chain: when
 * the issuer leaves its own claim out (Cognito omits `cognito:groups` for a user in no group), a claim of
 * the next name stands in, and anyone who can get that claim into a token chooses the groups.
 */
export const DEFAULT_GROUPS_CLAIMS: readonly string[] = ['groups'];

/**
 * Each group is one more grant lookup per request: a token listing hundreds (a signed one still fits the
 * size cap) would turn one call into hundreds of reads. Far above what any user needs.
 */
export const MAX_GROUPS = 64;

const INVALID_CLAIMS = 'The bearer token is missing, invalid or expired.';
const MISSING_API_KEY = 'An API key is required.';

/**
 * The caller behind verified JWT claims: `user:<sub>` plus `group:<g>` for each group of the groups
 * claim (of the first present, when several are configured). A groups claim of any other shape than an array of non-empty strings
 * is refused, never coerced: a string would otherwise be split or matched in ways the issuer never meant.
 */
export function callerFromClaims(
  claims: Readonly<Record<string, unknown>>,
  groupsClaims: readonly string[] = DEFAULT_GROUPS_CLAIMS,
): Caller {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError(INVALID_CLAIMS);
  const claimName = groupsClaims.find((name) => Object.hasOwn(claims, name) && claims[name] !== undefined);
  const groups = claimName === undefined ? [] : claims[claimName];
  if (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string' && group !== '')) {
    throw new UnauthenticatedError(INVALID_CLAIMS);
  }
  const distinct = new Set(groups as string[]);
  if (distinct.size > MAX_GROUPS) throw new UnauthenticatedError(INVALID_CLAIMS);
  const principals = [`user:${sub}`, ...[...distinct].map((group) => `group:${group}`)];
  return { kind: 'user', id: sub, principals };
}

/** The partner behind an API key API Gateway has already validated (`requestContext.identity.apiKeyId`). */
export function callerFromApiKeyId(apiKeyId: string | null | undefined): Caller {
  if (typeof apiKeyId !== 'string' || apiKeyId === '') {
    throw new UnauthenticatedError(MISSING_API_KEY, 'missing', 'ApiKey');
  }
  return { kind: 'partner', id: apiKeyId, principals: [`partner:${apiKeyId}`] };
}
