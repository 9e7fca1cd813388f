import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ForbiddenError } from '../core/errors';

/** The operator behind a request, as API Gateway's AWS_IAM authorization hands it to the function. */
export interface Operator {
  /** `arn:aws:iam::<account>:user/<name>` or `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly userArn: string;
  readonly accountId?: string;
  /** The IAM user id, or `<role id>:<session>`. */
  readonly caller?: string;
  /** The access key id that signed the request (never its secret, which API Gateway never sees). */
  readonly accessKey?: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The operator of a request, from `requestContext.identity`. API Gateway fills it only after checking
 * the request's Signature Version 4 and the caller's IAM policy, so its absence means the route was
 * reached without AWS_IAM authorization: refused, never served.
 */
export function operatorOf(event: APIGatewayProxyEvent): Operator {
  const identity = event.requestContext?.identity;
  const userArn = text(identity?.userArn);
  if (userArn === undefined || !userArn.startsWith('arn:')) {
    throw new ForbiddenError('An AWS IAM identity is required.');
  }
  const accountId = text(identity?.accountId);
  const caller = text(identity?.caller);
  const accessKey = text(identity?.accessKey);
  return {
    userArn,
    ...(accountId !== undefined ? { accountId } : {}),
    ...(caller !== undefined ? { caller } : {}),
    ...(accessKey !== undefined ? { accessKey } : {}),
  };
}
