/** A clock that the test drives; pass `now` as the emulator's `clock`. */
export interface ManualClock {
  readonly now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock for tests: time moves only when told to. */
export function createManualClock(startMs = Date.UTC(2026, 10, 25, 12, 0, 0)): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}
