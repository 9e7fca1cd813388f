import { loadavg } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadStreamConfigs, type StreamConfig } from '@kvs-url-vending/kvs-emulator';
import { LOCAL_ADMISSION_TIMEOUT_MS, startLocalStack, type LocalStack } from '../../local/start';
import { ADMISSION_DEFAULTS } from '../../lambda/vend/config';
import { runClosedLoop, type AttemptOutcome, type ClosedLoopResult } from '../lib/closed-loop';
import { envNumber, type BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { ratio, summarize } from '../lib/stats';

const TITLE = '7. Hot stream with admission on (fleet)';
/** The local identity provider's group that may play every stream (local/grants.json). */
const GROUP = 'security';
const CALLER = ADMISSION_DEFAULTS.callerLimit;
const STREAM = ADMISSION_DEFAULTS.streamLimit;

interface Phase {
  readonly id: string;
  readonly label: string;
  readonly stream: string;
  /** Distinct callers, or one caller with every request. */
  readonly callers: 'distinct' | 'one';
  readonly busyLoops: number;
  /**
   * Callers read `Retry-After` alone (whole seconds), as a client that knows nothing of `Retry-After-Ms`
   * does: the side the others are compared with, reported and not gated.
   */
  readonly wholeSeconds?: boolean;
}

/** The phases for `callers` closed-loop callers. */
function phases(callers: number): readonly Phase[] {
  return [
    {
      id: 'distinct',
      label: `${callers} callers`,
      stream: 'hot-distinct',
      callers: 'distinct',
      busyLoops: 0,
    },
    {
      id: 'distinct-whole-seconds',
      label: `${callers} callers waiting whole seconds`,
      stream: 'hot-whole-seconds',
      callers: 'distinct',
      busyLoops: 0,
      wholeSeconds: true,
    },
    { id: 'one', label: `one caller ×${callers}`, stream: 'hot-one', callers: 'one', busyLoops: 0 },
    {
      id: 'distinct-busy',
      label: `${callers} callers, 2 busy loops`,
      stream: 'hot-busy',
      callers: 'distinct',
      busyLoops: 2,
    },
  ];
}

/**
 * What admission lets through in `seconds` at one stream, from a standing start: every bucket is full
 * at first, so the burst passes, then the sustained rate. Many callers are bound by the stream limit
 * (their caller limits are far above their part of it); one caller by the stricter of its own limit
 * and the stream's.
 */
export function allowedAdmissions(callers: 'distinct' | 'one', seconds: number): number {
  const stream = STREAM.burst + STREAM.ratePerSecond * seconds;
  if (callers === 'distinct') return stream;
  return Math.min(stream, CALLER.burst + CALLER.ratePerSecond * seconds);
}

/** Processes that keep a core busy, as other work on a shared machine does. */
function busyLoops(count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

/** Which limit a 429 names ("Too many requests for this caller / this caller's share of this stream / …"). */
function refusingLimit(body: string): string {
  const told = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
  const message = typeof told === 'string' ? told : '';
  if (message.includes('share')) return 'share';
  if (message.includes('this caller')) return 'caller';
  if (message.includes('this stream')) return 'stream';
  return 'other';
}

async function vendAttempt(url: string, token: string, wholeSeconds = false): Promise<AttemptOutcome> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const text = await response.text();
  const header = (name: string): number | undefined => {
    const value = response.headers.get(name);
    return value !== null && Number.isFinite(Number(value)) ? Number(value) : undefined;
  };
  const retryAfterSeconds = header('retry-after');
  const retryAfterMs = wholeSeconds ? undefined : header('retry-after-ms');
  const refusedBy = response.status === 429 ? refusingLimit(text) : undefined;
  return {
    status: response.status,
    ...(refusedBy !== undefined ? { refusedBy } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

interface PhaseResult {
  readonly phase: Phase;
  readonly run: ClosedLoopResult;
  readonly allowed: number;
  readonly burstAllowed: number;
}

async function runPhase(
  stack: LocalStack,
  phase: Phase,
  callers: number,
  durationMs: number,
): Promise<PhaseResult> {
  const url = `${stack.apiUrl}/v1/streams/${phase.stream}/playback-url`;
  const tokens = Array.from({ length: callers }, (_, index) =>
    stack.mintToken({
      sub: phase.callers === 'distinct' ? `${phase.id}-viewer-${index}` : `${phase.id}-viewer`,
      groups: [GROUP],
    }),
  );
  const loops = busyLoops(phase.busyLoops);
  try {
    process.stderr.write(`  ${phase.label} at ${phase.stream} for ${durationMs / 1000} s\n`);
    const run = await runClosedLoop({
      callers,
      durationMs,
      attempt: (caller) => vendAttempt(url, tokens[caller]!, phase.wholeSeconds),
    });
    const seconds = run.elapsedMs / 1000;
    return {
      phase,
      run,
      allowed: allowedAdmissions(phase.callers, seconds),
      burstAllowed: phase.callers === 'distinct' ? STREAM.burst : Math.min(STREAM.burst, CALLER.burst),
    };
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
  }
}

/**
 * Rounds of one request per caller at another stream before the phases: every instance has served a few
 * requests, as a fleet serving a live event has. Each instance is an isolate of its own that compiles and
 * initialises on its first requests, and here a hundred of them do that on two cores at once: with one round,
 * the first phase's first crowd met 5–11 × 5xx (mostly 503s: admission's deadline run out while the machine
 * compiled) and a p50 of 0.1 s, the later phases none; with four, none (`npm run bench -- hot-stream`, runs of this stop). A
 * cold fleet's first crowd is what the cold-burst scenario measures.
 */
const WARM_ROUNDS = 4;

/** The start of a phase left out of the sustained rate: the first crowd has been answered by then. */
const SETTLE_SECONDS = 10;

/**
 * What the phase admitted per second once the first crowd had been answered, against the binding limit's
 * rate: the steady state, with the standing start's burst and its first queue left out (reported beside
 * the gated figure, which counts the whole window from a standing start).
 */
function sustainedShare(result: PhaseResult): number {
  const { run, phase } = result;
  const seconds = run.elapsedMs / 1000 - SETTLE_SECONDS;
  if (seconds <= 0) return Number.NaN;
  const admitted = run.successTimesMs.filter((at) => at >= SETTLE_SECONDS * 1000).length;
  const rate =
    phase.callers === 'distinct'
      ? STREAM.ratePerSecond
      : Math.min(STREAM.ratePerSecond, CALLER.ratePerSecond);
  return admitted / (rate * seconds);
}

function phaseFigures(result: PhaseResult): Figure[] {
  const { run, phase } = result;
  const label = phase.label;
  const fiveHundreds = Object.entries(run.statuses)
    .filter(([status]) => status === 'thrown' || Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
  const latency = summarize(run.successLatenciesMs);
  // The whole-seconds side is what the gated phases are compared with: its targets are not the product's.
  const gate = (target: NonNullable<Figure['target']>): Pick<Figure, 'target'> =>
    phase.wholeSeconds ? {} : { target };
  return [
    {
      name: `${label}: 5xx answers (and failed requests)`,
      value: fiveHundreds,
      unit: '',
      digits: 0,
      ...gate({ op: '<=', value: 0 }),
    },
    {
      name: `${label}: admitted / what the limits allow`,
      value: 100 * ratio(run.successes, result.allowed),
      unit: '%',
      digits: 1,
      ...gate({ op: '>=', value: 95 }),
    },
    {
      name: `${label}: first requests admitted (at least the burst, ${result.burstAllowed}; they arrive over the time the crowd takes)`,
      value: run.firstAttemptSuccesses,
      unit: '',
      digits: 0,
      ...gate({ op: '>=', value: result.burstAllowed }),
    },
    {
      name: `${label}: 429 without Retry-After`,
      value: run.refusalsWithoutRetryAfter,
      unit: '',
      digits: 0,
      ...gate({ op: '<=', value: 0 }),
    },
    {
      name: `${label}: retries after waiting as told, admitted`,
      value: 100 * ratio(run.afterRetryAfter.successes, run.afterRetryAfter.attempts),
      unit: '%',
      digits: 1,
      ...gate({ op: '>=', value: 90 }),
    },
    {
      name: `${label}: sustained rate after the first ${SETTLE_SECONDS} s / the binding limit's rate`,
      value: 100 * sustainedShare(result),
      unit: '%',
      digits: 1,
    },
    { name: `${label}: 429 answers`, value: run.statuses['429'] ?? 0, unit: '', digits: 0 },
    { name: `${label}: vend p50`, value: latency.p50, unit: 'ms', digits: 0 },
    { name: `${label}: vend p99`, value: latency.p99, unit: 'ms', digits: 0 },
  ];
}

export async function runHotStream(options: BenchOptions): Promise<ScenarioResult> {
  const callers = envNumber('BENCH_HOT_CALLERS', 100);
  const durationMs = envNumber('BENCH_HOT_SECONDS', options.quick ? 8 : 30) * 1000;
  const PHASES = phases(callers);
  const streams: StreamConfig[] = [
    ...loadStreamConfigs(),
    ...['hot-warm', ...PHASES.map((phase) => phase.stream)].map((name) => ({
      name,
      retentionHours: 1,
      media: 'fixture-video-only' as const,
    })),
  ];
  const loadBefore = loadavg()[0]!;
  const stack = await startLocalStack({
    ports: 0,
    stateDir: join(options.workDir, 'hot-stream-state'),
    admission: true,
    lambdaConcurrency: callers + 10,
    // The service's quotas: 25 session URLs per second per stream, 5 GetDataEndpoint.
    emulator: { streams },
  });
  try {
    // One request per caller at once starts as many instances, as a fleet would have by then.
    const warmTokens = Array.from({ length: callers }, (_, index) =>
      stack.mintToken({ sub: `warm-${index}`, groups: [GROUP] }),
    );
    for (let round = 0; round < WARM_ROUNDS; round += 1) {
      await Promise.all(
        warmTokens.map((token) => vendAttempt(`${stack.apiUrl}/v1/streams/hot-warm/playback-url`, token)),
      );
    }
    const instances = stack.lambda.stats().instances;
    const results: PhaseResult[] = [];
    for (const phase of PHASES) results.push(await runPhase(stack, phase, callers, durationMs));
    const [distinct, wholeSeconds] = [results[0]!, results[1]!];
    return {
      id: 'hot-stream',
      title: TITLE,
      figures: [
        ...results.flatMap(phaseFigures),
        {
          name: 'admitted, callers waiting Retry-After-Ms / callers waiting whole seconds (first two phases)',
          value: ratio(
            distinct.run.successes / distinct.allowed,
            wholeSeconds.run.successes / wholeSeconds.allowed,
          ),
          unit: '×',
          digits: 2,
        },
      ],
      notes: [
        `Load average (1 min) of the machine ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (2 cores shared with other work: the figures measure the machine as much as the code when it is far above 2).`,
        `${callers} closed-loop callers for ${durationMs / 1000} s per phase at one stream each, through the local stack as npm start runs it (API Gateway stand-in, the function bundled as deployed in ${instances} instances, admission on in dynalite, the KVS emulator with the service quotas). Admission's defaults: caller limit ${CALLER.ratePerSecond}/s with a burst of ${CALLER.burst}, stream limit ${STREAM.ratePerSecond}/s with a burst of ${STREAM.burst}.`,
        '"What the limits allow" from a standing start: burst + rate × window of the binding limit (the stream limit for many callers, the stricter of the caller and stream limits for one caller). Callers wait out Retry-After-Ms (the wait to the millisecond), or Retry-After where it is absent, on a 429 or a 503 and back off with jitter on anything else; "waiting as told" counts the attempts right after a full wait of what a 429 said. The whole-seconds phase is the same as the first but for its callers, which read Retry-After alone, as a client that knows nothing of Retry-After-Ms does: the side the first phase is compared with, reported and not gated.',
        `Retries after waiting as told, admitted / sent, by the limit that refused the request before the wait (caller, its share of the stream, the stream) — ${results
          .map(
            (result) =>
              `${result.phase.label}: ${Object.entries(result.run.afterRetryAfterBy)
                .map(([by, count]) => `${by} ${count.successes}/${count.attempts}`)
                .join(', ')}`,
          )
          .join('; ')}.`,
        `Before the phases, ${WARM_ROUNDS} rounds of one request per caller at another stream: every instance has served a few requests, as a fleet serving a live event has (with one round, the first phase met 5–11 × 5xx, mostly 503s, while a hundred isolates compiled on two cores; a cold fleet's first crowd is the cold-burst scenario).`,
        'The busy phase runs two processes spinning a core each beside the stack, as on a shared CI machine.',
        `Admission's deadline is the local stack's (${LOCAL_ADMISSION_TIMEOUT_MS} ms; deployed ${ADMISSION_DEFAULTS.timeoutMs} ms): dynalite shares the two cores with the instances, and under the first crowd answers in hundreds of milliseconds.`,
      ],
      details: Object.fromEntries(
        results.map((result) => [
          result.phase.id,
          {
            statuses: result.run.statuses,
            successes: result.run.successes,
            allowed: result.allowed,
            afterRetryAfter: result.run.afterRetryAfter,
            afterRetryAfterBy: result.run.afterRetryAfterBy,
            firstAttemptSuccesses: result.run.firstAttemptSuccesses,
            waitedMs: result.run.waitedMs,
          },
        ]),
      ),
    };
  } finally {
    // Instances may still be finishing a request the closed loop no longer waits for; dynalite must not
    // close under them.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await stack.stop();
  }
}
