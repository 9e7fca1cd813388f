import { backoffDelayMs, runClosedLoop, type AttemptOutcome } from '../../bench/lib/closed-loop';

/** A virtual clock: attempts and waits advance it, so the test never depends on machine speed. */
function virtualTime(): {
  now: () => number;
  advance: (ms: number) => void;
  sleep: (ms: number) => Promise<void>;
} {
  let time = 0;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    sleep: (ms) => {
      time += ms;
      return Promise.resolve();
    },
  };
}

describe('backoffDelayMs', () => {
  it('honours Retry-After on a 429', () => {
    expect(backoffDelayMs({ status: 429, retryAfterSeconds: 2 }, 1, () => 0.5, 100, 2000)).toBe(2000);
  });

  it('prefers Retry-After-Ms to Retry-After when the answer has both', () => {
    expect(
      backoffDelayMs({ status: 429, retryAfterSeconds: 2, retryAfterMs: 1_250 }, 1, () => 0.5, 100, 2000),
    ).toBe(1_250);
  });

  it('backs off exponentially with full jitter, capped, without Retry-After', () => {
    expect(backoffDelayMs({ status: 503 }, 1, () => 1, 100, 2000)).toBe(100);
    // A 503 that says when to come back is waited out as told; a 500 is not (it cannot say).
    expect(backoffDelayMs({ status: 503, retryAfterSeconds: 3 }, 1, () => 1, 100, 2000)).toBe(3000);
    expect(backoffDelayMs({ status: 500, retryAfterSeconds: 3 }, 1, () => 1, 100, 2000)).toBe(100);
    expect(backoffDelayMs({ status: 503 }, 3, () => 1, 100, 2000)).toBe(400);
    expect(backoffDelayMs({ status: 429 }, 10, () => 1, 100, 2000)).toBe(2000);
    expect(backoffDelayMs({ status: 429 }, 3, () => 0.25, 100, 2000)).toBe(100);
  });
});

describe('runClosedLoop', () => {
  it('keeps each caller busy until the deadline and records the latency of successes', async () => {
    const time = virtualTime();
    const attempt = (): Promise<AttemptOutcome> => {
      time.advance(10);
      return Promise.resolve({ status: 200 });
    };

    const result = await runClosedLoop({
      callers: 1,
      durationMs: 100,
      attempt,
      now: time.now,
      sleep: time.sleep,
    });

    expect(result.successes).toBe(10);
    expect(result.attempts).toBe(10);
    expect(result.successLatenciesMs.every((latency) => latency === 10)).toBe(true);
    expect(result.elapsedMs).toBe(100);
    expect(result.statuses).toEqual({ '200': 10 });
  });

  it('waits Retry-After after a 429 instead of retrying at once', async () => {
    const time = virtualTime();
    let calls = 0;
    const attempt = (): Promise<AttemptOutcome> => {
      calls += 1;
      time.advance(10);
      return Promise.resolve(calls === 1 ? { status: 429, retryAfterSeconds: 1 } : { status: 200 });
    };

    const result = await runClosedLoop({
      callers: 1,
      durationMs: 1100,
      attempt,
      now: time.now,
      sleep: time.sleep,
    });

    expect(result.statuses).toEqual({ '429': 1, '200': 9 });
    expect(result.waitedMs).toBe(1000);
  });

  it('counts a rejected attempt as thrown and never waits past the deadline', async () => {
    const time = virtualTime();
    const attempt = (): Promise<AttemptOutcome> => {
      time.advance(10);
      return Promise.reject(new Error('connection refused'));
    };

    const result = await runClosedLoop({
      callers: 2,
      durationMs: 50,
      attempt,
      now: time.now,
      sleep: time.sleep,
      random: () => 1,
      backoffBaseMs: 1000,
    });

    expect(result.successes).toBe(0);
    expect(result.statuses.thrown).toBe(result.attempts);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(result.elapsedMs).toBeLessThanOrEqual(50 + 10 * result.attempts);
    expect(result.waitedMs).toBeLessThanOrEqual(2 * 50);
  });

  it('does not retry a client error with a wait', async () => {
    const time = virtualTime();
    const attempt = (): Promise<AttemptOutcome> => {
      time.advance(25);
      return Promise.resolve({ status: 403 });
    };

    const result = await runClosedLoop({
      callers: 1,
      durationMs: 100,
      attempt,
      now: time.now,
      sleep: time.sleep,
    });

    expect(result.statuses).toEqual({ '403': 4 });
    expect(result.waitedMs).toBe(0);
  });

  it('keeps the warm-up out of the window and opens the window at the first answer after it', async () => {
    const time = virtualTime();
    const attempt = (): Promise<AttemptOutcome> => {
      time.advance(10);
      return Promise.resolve({ status: 200 });
    };

    const result = await runClosedLoop({
      callers: 1,
      warmUpMs: 45,
      durationMs: 100,
      attempt,
      now: time.now,
      sleep: time.sleep,
    });

    // Answers at 10..40 are warm-up, 50..140 inside the window that opened at 50 and closes at 145,
    // and the one sent at 140 is answered at 150, after it.
    expect(result.successes).toBe(10);
    expect(result.tailSuccesses).toBe(1);
    expect(result.allSuccesses).toBe(15);
    expect(result.elapsedMs).toBe(95);
  });

  it('keeps answers that arrive after the window out of the throughput but in the latencies', async () => {
    const time = virtualTime();
    const attempt = (): Promise<AttemptOutcome> => {
      time.advance(30);
      return Promise.resolve({ status: 200 });
    };

    const result = await runClosedLoop({
      callers: 1,
      durationMs: 100,
      attempt,
      now: time.now,
      sleep: time.sleep,
    });

    expect(result.successes).toBe(3);
    expect(result.tailSuccesses).toBe(1);
    expect(result.successLatenciesMs).toHaveLength(4);
  });
});

describe('runClosedLoop, what a refusal tells the caller', () => {
  /** One caller answered by `outcomes` in turn, the last one again once they run out. */
  const scripted = (outcomes: AttemptOutcome[], durationMs: number) => {
    const time = virtualTime();
    let call = 0;
    return runClosedLoop({
      callers: 1,
      durationMs,
      attempt: () => {
        time.advance(1);
        return Promise.resolve(outcomes[Math.min(call++, outcomes.length - 1)]!);
      },
      now: time.now,
      sleep: time.sleep,
      random: () => 0.5,
    });
  };

  it('counts a first attempt admitted as part of the burst, and only the first', async () => {
    const result = await scripted([{ status: 200 }], 10);
    expect(result.successes).toBe(10);
    expect(result.firstAttemptSuccesses).toBe(1);
    expect(result.afterRetryAfter).toEqual({ attempts: 0, successes: 0 });
  });

  it('counts the attempts right after a full Retry-After wait, and refusals without Retry-After', async () => {
    // t=1 refused without Retry-After (a jittered backoff), then told to wait 1 s, then admitted after it.
    const result = await scripted(
      [{ status: 429 }, { status: 429, retryAfterSeconds: 1 }, { status: 200 }],
      1_200,
    );
    expect(result.firstAttemptSuccesses).toBe(0);
    expect(result.refusalsWithoutRetryAfter).toBe(1);
    expect(result.afterRetryAfter).toEqual({ attempts: 1, successes: 1 });
  });

  it('breaks the attempts after a full wait down by what refused the attempt before it', async () => {
    const result = await scripted(
      [
        { status: 429, retryAfterMs: 300, refusedBy: 'stream' },
        { status: 429, retryAfterSeconds: 1, retryAfterMs: 400, refusedBy: 'caller' },
        { status: 200 },
      ],
      1_000,
    );
    expect(result.afterRetryAfter).toEqual({ attempts: 2, successes: 1 });
    expect(result.afterRetryAfterBy).toEqual({
      stream: { attempts: 1, successes: 0 },
      caller: { attempts: 1, successes: 1 },
    });
  });

  it('does not count an attempt after a wait the deadline cut short', async () => {
    // Told to wait 1 s twice: the first wait is whole, the second ends at the deadline.
    const result = await scripted([{ status: 429, retryAfterSeconds: 1 }], 1_500);
    expect(result.afterRetryAfter).toEqual({ attempts: 1, successes: 0 });
    expect(result.refusalsWithoutRetryAfter).toBe(0);
  });
});
