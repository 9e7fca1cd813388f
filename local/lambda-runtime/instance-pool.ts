import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { FunctionError, TooManyRequestsException } from './invoke-errors';
import type { FromInstance, InstanceData, InvocationContext, ToInstance } from './messages';

/** What Lambda tells the function about itself through its environment (reserved variables). */
export interface FunctionIdentity {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memorySizeMb: number;
  readonly logGroupName: string;
}

export interface InstancePoolOptions {
  /** The instance runtime (instance.ts, bundled). */
  readonly runtimeFile: string;
  /** The bundled handler module and the export to call. */
  readonly handlerFile: string;
  readonly handlerName: string;
  /** The function's environment, given to every instance. */
  readonly environment: Readonly<Record<string, string>>;
  readonly identity: FunctionIdentity;
  /** Most instances at once: beyond, an invocation is refused as Lambda refuses it. */
  readonly concurrency: number;
  /**
   * Instances initialising at once. Lambda gives every instance its own CPU; here they share the
   * machine's with the local services, so a burst of cold starts is spread out. Default: the number of
   * CPUs.
   */
  readonly initConcurrency?: number;
  /** Node.js flags of the function (its NODE_OPTIONS). */
  readonly execArgv?: readonly string[];
  /**
   * Where Lambda's own lines go (cold starts, timeouts, refusals): one JSON object per line, in the shape
   * of Lambda's JSON system log. Default: stdout, next to the function's own log.
   */
  readonly systemLog?: (line: string) => void;
  /**
   * The start of every instance id (`<prefix>-1`, `<prefix>-2`, ...). In AWS each function writes to its own
   * log group; locally the functions share stdout, and their ids tell their lines apart. Default `instance`.
   */
  readonly instanceIdPrefix?: string;
}

export interface InstancePoolStats {
  /** Instances alive now, initialising or not. */
  readonly instances: number;
  /** Instances running an invocation now. */
  readonly busy: number;
  /** Instances initialised since the pool started (each one a cold start). */
  readonly coldStarts: number;
  /** Invocations refused because every instance the concurrency allows was busy. */
  readonly throttles: number;
  /**
   * The most invocations that held an instance at one time since the pool started. A new instance starts
   * only when none is idle, so while none has been discarded, instances started = this peak.
   */
  readonly peakInFlight: number;
}

interface Pending {
  readonly invocationId: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Instance {
  readonly id: string;
  initialised: boolean;
  /** Absent while the instance waits for its turn to initialise. */
  worker?: Worker;
  /** Settles when the init phase ends; rejects with the init error. */
  ready: Promise<void>;
  current?: Pending | undefined;
  gone: boolean;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** API Gateway's request id of a proxy event (`requestContext.requestId`), if the event is one. */
function apiRequestIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const requestContext = (event as { requestContext?: unknown }).requestContext;
  if (typeof requestContext !== 'object' || requestContext === null) return undefined;
  const requestId = (requestContext as { requestId?: unknown }).requestId;
  return typeof requestId === 'string' && requestId !== '' ? requestId : undefined;
}

/**
 * The local function as Lambda runs it: a pool of instances (worker threads), each loading the bundled
 * handler in its own init phase, each running one invocation at a time. An invocation takes an idle
 * instance (the most recently used, so a trickle of requests keeps one instance warm); when none is
 * idle it starts a new one (a cold start) as long as the concurrency allows, and is refused beyond it.
 * A timed-out or crashed instance is discarded; the next invocation starts a fresh one.
 */
export class InstancePool {
  private readonly instances = new Set<Instance>();
  private readonly idle: Instance[] = [];
  private readonly systemLog: (line: string) => void;
  private readonly initConcurrency: number;
  private readonly waitingToInit: (() => void)[] = [];
  private initializing = 0;
  private nextInstance = 1;
  private nextInvocation = 1;
  private coldStarts = 0;
  private throttles = 0;
  private inFlight = 0;
  private peakInFlight = 0;
  private stopped = false;
  private nextMeasure = 1;
  private readonly measurements = new Map<number, (heapUsedBytes: number) => void>();

  constructor(private readonly options: InstancePoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new Error(
        `The function's concurrency must be a whole number of at least 1, got ${options.concurrency}.`,
      );
    }
    this.initConcurrency = Math.max(1, options.initConcurrency ?? availableParallelism());
    this.systemLog = options.systemLog ?? ((line) => process.stdout.write(`${line}\n`));
  }

  /** The pool as the gateway calls a handler: the context's fields cross over, its deadline as time left. */
  readonly handler = (event: unknown, context: Context): Promise<unknown> =>
    this.invoke(event, {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      remainingTimeMs: context.getRemainingTimeInMillis(),
    });

  /** Runs one invocation; rejects with TooManyRequestsException or FunctionError as Lambda fails. */
  async invoke(event: unknown, context: InvocationContext): Promise<unknown> {
    if (this.stopped) throw new FunctionError('Runtime.Unavailable');
    let instance = this.idle.pop();
    if (!instance) {
      if (this.instances.size >= this.options.concurrency) {
        this.throttles += 1;
        this.record('local.throttle', {
          // The id the refused client got (API Gateway's, in its body and x-amzn-RequestId): the function
          // never ran, so no line of its own names the request. Lambda's invocation id besides.
          requestId: apiRequestIdOf(event) ?? context.awsRequestId,
          awsRequestId: context.awsRequestId,
          reason: 'ConcurrentInvocationLimitExceeded',
          concurrency: this.options.concurrency,
        });
        throw new TooManyRequestsException(this.options.concurrency);
      }
      instance = this.start();
    }
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      await instance.ready;
      return await this.run(instance, event, context);
    } finally {
      this.inFlight -= 1;
      if (!instance.gone && !this.stopped) this.idle.push(instance);
    }
  }

  /**
   * Starts and initialises one instance ahead of the first request, so a setting the function rejects
   * at init stops the local stack at once. Rejects with the init error.
   */
  async warm(): Promise<void> {
    const instance = this.start();
    await instance.ready;
    if (!instance.gone) this.idle.push(instance);
  }

  stats(): InstancePoolStats {
    return {
      instances: this.instances.size,
      busy: [...this.instances].filter((instance) => instance.current !== undefined).length,
      coldStarts: this.coldStarts,
      throttles: this.throttles,
      peakInFlight: this.peakInFlight,
    };
  }

  /**
   * The heap in use of every initialised instance, summed: what a soak watches for leaks of the
   * function. With `collectGarbage` (and `gc` exposed, `node --expose-gc`), each instance collects first.
   * An instance that does not answer within a second is left out.
   */
  async heapUsedBytes(options: { collectGarbage?: boolean } = {}): Promise<number> {
    const instances = [...this.instances].filter((instance) => instance.initialised && !instance.gone);
    const sizes = await Promise.all(
      instances.map(
        (instance) =>
          new Promise<number>((resolve) => {
            const measureId = this.nextMeasure++;
            const timer = setTimeout(() => done(0), 1000);
            const done = (bytes: number): void => {
              clearTimeout(timer);
              this.measurements.delete(measureId);
              resolve(bytes);
            };
            this.measurements.set(measureId, done);
            const message: ToInstance = {
              type: 'measure',
              measureId,
              collectGarbage: options.collectGarbage ?? false,
            };
            instance.worker!.postMessage(message);
          }),
      ),
    );
    return sizes.reduce((total, size) => total + size, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.idle.length = 0;
    const instances = [...this.instances];
    await Promise.all(instances.map((instance) => this.discard(instance, 'Runtime.Unavailable')));
  }

  private start(): Instance {
    const instance: Instance = {
      id: `${this.options.instanceIdPrefix ?? 'instance'}-${this.nextInstance++}`,
      ready: Promise.resolve(),
      initialised: false,
      gone: false,
    };
    instance.ready = this.initSlot().then(() =>
      new Promise<void>((resolve, reject) => {
        if (instance.gone) {
          reject(new FunctionError('Runtime.Unavailable'));
          return;
        }
        this.spawn(instance, { resolve, reject });
      }).finally(() => this.releaseInitSlot()),
    );
    // A failed init is reported to whoever waits for it; nobody may be waiting (warm() after stop()).
    instance.ready.catch(() => undefined);
    this.instances.add(instance);
    return instance;
  }

  private initSlot(): Promise<void> {
    if (this.initializing < this.initConcurrency) {
      this.initializing += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waitingToInit.push(resolve));
  }

  /** Hands the slot to the next instance waiting to initialise, if any. */
  private releaseInitSlot(): void {
    const next = this.waitingToInit.shift();
    if (next) next();
    else this.initializing -= 1;
  }

  private spawn(instance: Instance, ready: { resolve: () => void; reject: (error: Error) => void }): void {
    const { identity } = this.options;
    const data: InstanceData = {
      handlerFile: this.options.handlerFile,
      handlerName: this.options.handlerName,
    };
    const worker = new Worker(this.options.runtimeFile, {
      workerData: data,
      env: {
        ...this.options.environment,
        // Reserved in Lambda: the runtime sets them, whatever the function's configuration says.
        AWS_LAMBDA_FUNCTION_NAME: identity.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: identity.functionVersion,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(identity.memorySizeMb),
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: identity.logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName(instance),
        _HANDLER: `index.${this.options.handlerName}`,
      },
      execArgv: [...(this.options.execArgv ?? [])],
    });
    instance.worker = worker;
    // The HTTP server keeps the process alive; an instance alone must not.
    worker.unref();

    worker.on('message', (message: FromInstance) => {
      switch (message.type) {
        case 'output':
          (message.stream === 'stdout' ? process.stdout : process.stderr).write(message.text);
          return;
        case 'ready':
          instance.initialised = true;
          this.coldStarts += 1;
          this.initReport(instance.id, 'success', message.initDurationMs);
          ready.resolve();
          return;
        case 'init-error':
          this.initReport(instance.id, 'error', message.initDurationMs, {
            errorType: message.errorType,
            errorMessage: message.errorMessage,
          });
          ready.reject(new FunctionError(message.errorType, `${message.errorType}: ${message.errorMessage}`));
          void this.discard(instance);
          return;
        case 'memory':
          this.measurements.get(message.measureId)?.(message.heapUsedBytes);
          return;
        case 'result':
        case 'error': {
          const pending = instance.current;
          if (!pending || pending.invocationId !== message.invocationId) return;
          clearTimeout(pending.timer);
          instance.current = undefined;
          if (message.type === 'result') pending.resolve(message.payload);
          else pending.reject(new FunctionError(message.errorType));
          return;
        }
      }
    });
    worker.on('error', () => {
      // The instance crashed (an uncaught exception or rejection): 'exit' follows and cleans up.
    });
    worker.on('exit', () => {
      ready.reject(new FunctionError('Runtime.ExitError'));
      void this.discard(instance, 'Runtime.ExitError');
    });
  }

  private run(instance: Instance, event: unknown, context: InvocationContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Stopped or crashed between its init and this invocation.
      if (instance.gone || !instance.worker) {
        reject(new FunctionError('Runtime.Unavailable'));
        return;
      }
      const worker = instance.worker;
      const invocationId = this.nextInvocation++;
      const timer = setTimeout(() => {
        this.record('platform.report', {
          instanceId: instance.id,
          requestId: context.awsRequestId,
          status: 'timeout',
          metrics: { durationMs: round(context.remainingTimeMs) },
        });
        void this.discard(instance, 'Sandbox.Timedout');
      }, context.remainingTimeMs);
      timer.unref();
      instance.current = { invocationId, timer, resolve, reject };
      const message: ToInstance = {
        type: 'invoke',
        invocationId,
        event,
        context: { ...context, logStreamName: this.logStreamName(instance) },
      };
      worker.postMessage(message);
    });
  }

  private logStreamName(instance: Instance): string {
    return `local/[${this.options.identity.functionVersion}]${instance.id}`;
  }

  /** Takes an instance out of service for good; a pending invocation fails with `errorType`. */
  private async discard(instance: Instance, errorType = 'Runtime.ExitError'): Promise<void> {
    if (instance.gone) return;
    instance.gone = true;
    this.instances.delete(instance);
    const index = this.idle.indexOf(instance);
    if (index >= 0) this.idle.splice(index, 1);
    const pending = instance.current;
    instance.current = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(new FunctionError(errorType));
    }
    await instance.worker?.terminate();
  }

  private initReport(
    instanceId: string,
    status: 'success' | 'error',
    durationMs: number,
    error?: { errorType: string; errorMessage: string },
  ): void {
    this.record('platform.initReport', {
      instanceId,
      initializationType: 'on-demand',
      phase: 'init',
      status,
      metrics: { durationMs: round(durationMs) },
      ...error,
    });
  }

  private record(type: string, record: Record<string, unknown>): void {
    this.systemLog(JSON.stringify({ time: new Date().toISOString(), type, record }));
  }
}
