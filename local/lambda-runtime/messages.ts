/**
 * What the instance pool (main thread) and an instance (worker thread) say to each other. Everything an
 * instance writes travels on the same port as its results, so a log line of an invocation always reaches
 * the log before the answer of that invocation reaches the caller.
 */

/** Given to the worker when it starts. */
export interface InstanceData {
  /** Absolute path of the bundled handler module. */
  readonly handlerFile: string;
  /** The exported function to call (`handler` in `index.handler`). */
  readonly handlerName: string;
}

/** The parts of the Lambda context that cross the thread boundary; the instance rebuilds the rest. */
export interface InvocationContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Time left before the function times out, when the invocation starts. */
  readonly remainingTimeMs: number;
}

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly invocationId: number;
  readonly event: unknown;
  readonly context: InvocationContext;
}

/** Asks for the instance's heap (after a full collection, when the process exposes `gc`). */
export interface MeasureMessage {
  readonly type: 'measure';
  readonly measureId: number;
  readonly collectGarbage: boolean;
}

export type ToInstance = InvokeMessage | MeasureMessage;

export type FromInstance =
  | { readonly type: 'output'; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  | { readonly type: 'ready'; readonly initDurationMs: number }
  | {
      readonly type: 'init-error';
      readonly errorType: string;
      /** Shown as Lambda shows it: configuration errors name the setting, never its value. */
      readonly errorMessage: string;
      readonly initDurationMs: number;
    }
  | { readonly type: 'result'; readonly invocationId: number; readonly payload: unknown }
  | { readonly type: 'error'; readonly invocationId: number; readonly errorType: string }
  | { readonly type: 'memory'; readonly measureId: number; readonly heapUsedBytes: number };
