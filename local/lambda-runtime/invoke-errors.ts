/**
 * How an invocation of the local function can fail, named after what Lambda answers the caller (here:
 * the local API Gateway), so that the gateway can answer as API Gateway does.
 */

/** Lambda refused the invocation: every instance the concurrency allows is busy (Invoke API 429). */
export class TooManyRequestsException extends Error {
  constructor(readonly concurrency: number) {
    super(`Rate Exceeded: all ${concurrency} instances of the function are busy.`);
    this.name = 'TooManyRequestsException';
  }
}

/**
 * The function ran but did not return a result: its initialisation or handler threw, it exited, or it
 * timed out. `errorType` is what Lambda reports (`Runtime.ExitError`, `Sandbox.Timedout`, the error's
 * name...).
 */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    detail?: string,
  ) {
    super(detail ?? `The function failed: ${errorType}.`);
    this.name = 'FunctionError';
  }
}
