/** The request was waiting out an injected delay when the emulator stopped. */
export class EmulatorStopped extends Error {}

/**
 * Injected-latency timers, so that stopping the emulator clears them instead of leaving them to keep
 * the process alive and then answer on closed connections.
 */
export class PendingDelays {
  private readonly timers = new Map<NodeJS.Timeout, (error: Error) => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, reject);
    });
  }

  /** Clears every pending delay; the requests waiting on them are dropped unanswered. */
  cancelAll(): void {
    for (const [timer, reject] of this.timers) {
      clearTimeout(timer);
      reject(new EmulatorStopped('The emulator stopped.'));
    }
    this.timers.clear();
  }
}
