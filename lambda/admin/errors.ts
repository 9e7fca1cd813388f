import { ApiError } from '../contract';

/** Errors of the admin API (their statuses: ERROR_STATUS of the contract). */

export class GrantNotFoundError extends ApiError {
  readonly code = 'GRANT_NOT_FOUND';
  constructor(message = 'No grant of this id under this principal.') {
    super(message);
  }
}

export class RevocationNotFoundError extends ApiError {
  readonly code = 'REVOCATION_NOT_FOUND';
  constructor(message = 'This principal is not revoked.') {
    super(message);
  }
}

export class ManagedByStackError extends ApiError {
  readonly code = 'MANAGED_BY_STACK';
  constructor(
    message = 'This grant belongs to the stack (a partner grant of cdk.json): change it there and deploy.',
  ) {
    super(message);
  }
}

export class PreconditionFailedError extends ApiError {
  readonly code = 'PRECONDITION_FAILED';
  constructor(
    message: string,
    /** The version stored now, for the ETag of the answer; absent when there is no grant. */
    readonly currentVersion?: number,
  ) {
    super(message);
  }
}

export class PreconditionRequiredError extends ApiError {
  readonly code = 'PRECONDITION_REQUIRED';
  constructor(
    message = 'Send If-Match with the version you replace (GET the grant for its ETag), or If-None-Match: * to create it.',
  ) {
    super(message);
  }
}
