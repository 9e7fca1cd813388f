import { EndpointCache } from '../../lambda/adapters/kvs/endpoint-cache';

class FakeClock {
  current = 1_000_000;
  now(): number {
    return this.current;
  }
}

/** A loader that hands out a new endpoint per call and can be held open to model a slow GetDataEndpoint. */
class FakeLoader {
  calls: string[] = [];
  failNext = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  for(key: string): () => Promise<string> {
    return async () => {
      this.calls.push(key);
      const n = this.calls.length;
      if (this.gate) await this.gate;
      if (this.failNext) {
        this.failNext = false;
        throw new Error('GetDataEndpoint failed');
      }
      return `http://endpoint-${n}.test/${key}`;
    };
  }
}

const serverError = Object.assign(new Error('boom'), { kind: 'server' });
const clientError = Object.assign(new Error('bad request'), { kind: 'client' });
const suspect = (error: unknown) => (error as { kind?: string }).kind === 'server';

describe('EndpointCache', () => {
  let clock: FakeClock;
  let loader: FakeLoader;
  let lookups: boolean[];
  const cache = (ttlMs = 60_000, maxEntries = 3) =>
    new EndpointCache({ ttlMs, maxEntries, clock, onLookup: (hit) => lookups.push(hit) });

  beforeEach(() => {
    clock = new FakeClock();
    loader = new FakeLoader();
    lookups = [];
  });

  it('loads once and then serves from the cache', async () => {
    const c = cache();
    const first = await c.get('a', loader.for('a'));
    const second = await c.get('a', loader.for('a'));
    expect(second).toBe(first);
    expect(loader.calls).toEqual(['a']);
    expect(lookups).toEqual([false, true]);
    expect(c.stats()).toEqual({ size: 1, hits: 1, misses: 1, loads: 1, invalidations: 0 });
  });

  it('expires entries after the TTL', async () => {
    const c = cache(60_000);
    await c.get('a', loader.for('a'));
    clock.current += 59_999;
    await c.get('a', loader.for('a'));
    expect(loader.calls).toHaveLength(1);
    clock.current += 1;
    const refreshed = await c.get('a', loader.for('a'));
    expect(loader.calls).toHaveLength(2);
    expect(refreshed).toBe('http://endpoint-2.test/a');
  });

  it('evicts the least recently used key beyond its bound', async () => {
    const c = cache(60_000, 2);
    await c.get('a', loader.for('a'));
    await c.get('b', loader.for('b'));
    await c.get('a', loader.for('a'));
    await c.get('c', loader.for('c'));
    expect(c.stats().size).toBe(2);
    await c.get('a', loader.for('a'));
    expect(loader.calls).toEqual(['a', 'b', 'c']);
    await c.get('b', loader.for('b'));
    expect(loader.calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('coalesces concurrent misses of one key into one load', async () => {
    const c = cache();
    loader.hold();
    const pending = Array.from({ length: 20 }, () => c.get('a', loader.for('a')));
    loader.release();
    const endpoints = await Promise.all(pending);
    expect(new Set(endpoints).size).toBe(1);
    expect(loader.calls).toEqual(['a']);
    expect(lookups.filter((hit) => !hit)).toHaveLength(1);
  });

  it('does not cache a failed load, and every waiter sees the failure', async () => {
    const c = cache();
    loader.hold();
    loader.failNext = true;
    const pending = [c.get('a', loader.for('a')), c.get('a', loader.for('a'))];
    loader.release();
    const results = await Promise.allSettled(pending);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(c.get('a', loader.for('a'))).resolves.toBe('http://endpoint-2.test/a');
  });

  it('drops the entry and retries once on a fresh endpoint when a call fails on it', async () => {
    const c = cache();
    const used: string[] = [];
    const result = await c.use(
      'a',
      loader.for('a'),
      (endpoint) => {
        used.push(endpoint);
        return used.length === 1 ? Promise.reject(serverError) : Promise.resolve(`ok via ${endpoint}`);
      },
      suspect,
    );
    expect(result).toBe('ok via http://endpoint-2.test/a');
    expect(used).toEqual(['http://endpoint-1.test/a', 'http://endpoint-2.test/a']);
    expect(c.stats().invalidations).toBe(1);
  });

  it('retries only once, and never for client errors', async () => {
    const c = cache();
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(serverError);
    };
    await expect(c.use('a', loader.for('a'), failing, suspect)).rejects.toBe(serverError);
    expect(calls).toBe(2);
    expect(loader.calls).toHaveLength(2);

    calls = 0;
    const refusing = () => {
      calls += 1;
      return Promise.reject(clientError);
    };
    await expect(c.use('b', loader.for('b'), refusing, suspect)).rejects.toBe(clientError);
    expect(calls).toBe(1);
    expect(loader.calls).toHaveLength(3);
  });

  it('does not evict a fresh endpoint because of a failure seen on an older one', async () => {
    const c = cache();
    const old = await c.get('a', loader.for('a'));
    c.invalidate('a', old);
    const fresh = await c.get('a', loader.for('a'));
    c.invalidate('a', old);
    expect(await c.get('a', loader.for('a'))).toBe(fresh);
    expect(c.stats().invalidations).toBe(1);
  });

  it('refuses a TTL above 30 minutes or a non-positive bound', () => {
    expect(() => new EndpointCache({ ttlMs: 30 * 60 * 1000 + 1, maxEntries: 10 })).toThrow(RangeError);
    expect(() => new EndpointCache({ ttlMs: 0, maxEntries: 10 })).toThrow(RangeError);
    expect(() => new EndpointCache({ ttlMs: 1000, maxEntries: 0 })).toThrow(RangeError);
    expect(() => new EndpointCache({ ttlMs: 30 * 60 * 1000, maxEntries: 1 })).not.toThrow();
  });

  it('keeps a loaded endpoint only as long as its load says, never beyond the TTL', async () => {
    const c = cache(60_000);
    await c.get('short', () =>
      Promise.resolve({ endpoint: 'http://short.test', keepUntil: clock.current + 5_000 }),
    );
    await c.get('long', () =>
      Promise.resolve({ endpoint: 'http://long.test', keepUntil: clock.current + 600_000 }),
    );

    clock.current += 5_000;
    expect(await c.get('short', loader.for('short'))).toBe('http://endpoint-1.test/short');
    clock.current += 55_000;
    expect(await c.get('long', loader.for('long'))).toBe('http://endpoint-2.test/long');
  });

  it('tells the fleet about a failing endpoint before it loads a fresh one', async () => {
    const c = cache();
    const order: string[] = [];
    let calls = 0;
    const failOnce = (endpoint: string) => {
      calls += 1;
      order.push(`call ${endpoint}`);
      return calls === 1 ? Promise.reject(serverError) : Promise.resolve(endpoint);
    };
    const load = () => {
      order.push('load');
      return loader.for('a')();
    };

    await c.use('a', load, failOnce, suspect, (failed) => {
      order.push(`dropped ${failed}`);
      return Promise.resolve();
    });

    expect(order).toEqual([
      'load',
      'call http://endpoint-1.test/a',
      'dropped http://endpoint-1.test/a',
      'load',
      'call http://endpoint-2.test/a',
    ]);
  });
});
