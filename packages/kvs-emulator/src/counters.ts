/**
 * Calls per operation, and `<Operation>:<ErrorType>` per answered error: what `counters()` and
 * `GET /_admin/counters` report.
 */
export class Counters {
  private readonly counts = new Map<string, number>();
  increment(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
  reset(): void {
    this.counts.clear();
  }
}
