import { createDynamoDbRateLimiter } from '../../lambda/adapters/admission/rate-limiter';
import {
  createAdmission,
  createMediaAdmission,
  mediaAdmissionKeys,
  type MediaAdmission,
} from '../../lambda/core/admission';
import { RateLimitedError } from '../../lambda/core/errors';
import type { Caller } from '../../lambda/core/model';
import { useAdmissionTable } from './support/admission-table';

/** The table lives as long as the describe block: each test has callers and streams of its own. */
const user = (id: string): Caller => ({ kind: 'user', id, principals: [`user:${id}`, 'group:security'] });
const partner: Caller = { kind: 'partner', id: 'key-1', principals: ['partner:key-1'] };

async function refusal(promise: Promise<unknown>): Promise<RateLimitedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

/**
 * The clip and images limits on the admission table (dynalite), as two Lambda instances share it: a
 * bucket per caller and one per stream for each kind, apart from each other and from the vend path's.
 */
describe('clip and images limits (dynalite)', () => {
  const store = useAdmissionTable('admission-media');

  const instance = (): MediaAdmission =>
    createMediaAdmission({
      limiter: createDynamoDbRateLimiter({ table: store.instance() }),
      clip: { caller: { ratePerSecond: 0.1, burst: 2 }, stream: { ratePerSecond: 1, burst: 3 } },
      images: { caller: { ratePerSecond: 0.5, burst: 4 }, stream: { ratePerSecond: 2, burst: 10 } },
      clock: store.clock,
      timeoutMs: 5_000,
    });

  it("refuses a caller's third clip of a burst of two, across instances, with the wait until the next", async () => {
    const [a, b] = [instance(), instance()];
    const alice = user('alice');

    await a.admit('clip', alice, 'front-door');
    await b.admit('clip', alice, 'backyard');
    const refused = await refusal(a.admit('clip', alice, 'garage'));

    expect(refused.message).toBe('Too many clips asked for by this caller; retry later.');
    // 0.1 clips per second: the next token is ten seconds away.
    expect(refused.retryAfterSeconds).toBe(10);
    store.clock.advance(10_000);
    await expect(b.admit('clip', alice, 'garage')).resolves.toBeUndefined();
  });

  it('keeps the stream below its own limit whoever asks, and counts images apart from clips', async () => {
    const media = instance();
    const [carol, dave] = [user('carol'), user('dave')];

    await media.admit('clip', carol, 'porch');
    await media.admit('clip', dave, 'porch');
    await media.admit('clip', partner, 'porch');
    const refused = await refusal(media.admit('clip', partner, 'porch'));
    for (let index = 0; index < 4; index += 1) await media.admit('images', carol, 'porch');

    expect(refused.message).toBe('Too many clips asked for on this stream; retry later.');
    expect((await store.storedItem(mediaAdmissionKeys.stream('clip', 'porch')))?.pk).toBe(
      'clip#stream#porch',
    );
    expect(await store.storedItem(mediaAdmissionKeys.caller('images', 'user:carol'))).toBeDefined();
  });

  it("keeps one caller's loop from filling the stream's queue: an attempt the stream refused counts against its caller", async () => {
    const media = createMediaAdmission({
      limiter: createDynamoDbRateLimiter({ table: store.instance() }),
      clip: { caller: { ratePerSecond: 0.1, burst: 5 }, stream: { ratePerSecond: 1, burst: 2 } },
      images: { caller: { ratePerSecond: 0.5, burst: 4 }, stream: { ratePerSecond: 2, burst: 10 } },
      clock: store.clock,
      timeoutMs: 5_000,
    });
    const [greedy, polite] = [user('greedy'), user('polite')];

    const refusals: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      await media
        .admit('clip', greedy, 'shed')
        .catch((error: RateLimitedError) => refusals.push(error.message));
    }
    const told = await refusal(media.admit('clip', polite, 'shed'));

    // Two admitted, three refused by the stream (the caller's 3rd to 5th tokens), then its own limit.
    expect(refusals.filter((message) => message.includes('on this stream'))).toHaveLength(3);
    expect(refusals.filter((message) => message.includes('by this caller'))).toHaveLength(7);
    // Behind the greedy caller's three places only (it was told 11 s when each refusal gave its token back).
    expect(told.retryAfterSeconds).toBeLessThanOrEqual(4);
  });

  it('leaves the vend path’s caller limit alone', async () => {
    const limiter = createDynamoDbRateLimiter({ table: store.instance() });
    const vend = createAdmission({
      limiter,
      activity: { touch: () => Promise.resolve(1) },
      callerLimit: { ratePerSecond: 1, burst: 1 },
      streamLimit: { ratePerSecond: 20, burst: 5 },
      streamShareWindowMs: 10_000,
      clock: store.clock,
      timeoutMs: 5_000,
    });
    const media = instance();
    const erin = user('erin');

    await media.admit('clip', erin, 'backyard');
    await media.admit('clip', erin, 'backyard');

    await expect(vend.admit({ caller: erin, streamName: 'backyard' })).resolves.toBeUndefined();
  });
});
