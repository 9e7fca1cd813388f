import { createDynamoDbSessionCounter } from '../../lambda/adapters/admission/session-counter';
import type { AdmissionTableOptions } from '../../lambda/adapters/admission/admission-table';
import { useAdmissionTable } from './support/admission-table';

const TABLE = 'admission-sessions';
const MINUTE = 60_000;

describe('DynamoDB session cap (dynalite)', () => {
  const store = useAdmissionTable(TABLE);
  let userCounter = 0;
  const freshUser = () => `user:viewer-${(userCounter += 1)}`;

  const counter = (overrides: Partial<AdmissionTableOptions> = {}) =>
    createDynamoDbSessionCounter({ table: store.instance(overrides) });

  const storedExpiries = (principal: string) => store.storedItem(`sessions#${principal}`);

  it('opens up to the cap, across instances, then refuses', async () => {
    const a = counter();
    const b = counter();
    const user = freshUser();

    expect(await a.tryOpen(user, store.clock.current + 5 * MINUTE, 2)).toBe(true);
    expect(await b.tryOpen(user, store.clock.current + 10 * MINUTE, 2)).toBe(true);
    expect(await a.tryOpen(user, store.clock.current + 5 * MINUTE, 2)).toBe(false);
    expect(await b.tryOpen(user, store.clock.current + 5 * MINUTE, 2)).toBe(false);
  });

  it('counts a session until its expiresAt, then frees its slot', async () => {
    const a = counter();
    const user = freshUser();
    await a.tryOpen(user, store.clock.current + 5 * MINUTE, 2);
    await a.tryOpen(user, store.clock.current + 10 * MINUTE, 2);

    store.clock.advance(5 * MINUTE - 1);
    expect(await a.tryOpen(user, store.clock.current + MINUTE, 2)).toBe(false);
    store.clock.advance(1);
    expect(await a.tryOpen(user, store.clock.current + MINUTE, 2)).toBe(true);

    // Ended sessions are pruned on write, and the TTL follows the last live session.
    const item = await storedExpiries(user);
    expect(item?.expiries).toEqual([store.clock.current + MINUTE, store.clock.current + 5 * MINUTE]);
    expect(item?.ttl).toBe(Math.ceil((store.clock.current + 5 * MINUTE) / 1000) + 1);
  });

  it('gives exactly one of many racing instances the last free slot', async () => {
    const instances = [counter(), counter(), counter(), counter()];
    const user = freshUser();
    await instances[0]!.tryOpen(user, store.clock.current + MINUTE, 3);
    await instances[1]!.tryOpen(user, store.clock.current + MINUTE, 3);

    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        instances[i % 4]!.tryOpen(user, store.clock.current + 2 * MINUTE, 3),
      ),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await storedExpiries(user))?.expiries).toHaveLength(3);
  });

  it('keeps users apart', async () => {
    const a = counter();
    const first = freshUser();
    const second = freshUser();
    await a.tryOpen(first, store.clock.current + MINUTE, 1);

    expect(await a.tryOpen(first, store.clock.current + MINUTE, 1)).toBe(false);
    expect(await a.tryOpen(second, store.clock.current + MINUTE, 1)).toBe(true);
  });

  it('gives a slot back when the vend failed after opening it', async () => {
    const a = counter();
    const b = counter();
    const user = freshUser();
    const expiresAt = store.clock.current + 5 * MINUTE;
    await a.tryOpen(user, expiresAt, 1);

    await b.release(user, expiresAt);

    expect(await a.tryOpen(user, store.clock.current + MINUTE, 1)).toBe(true);
  });

  it('releases one slot only, and nothing for a session it does not hold', async () => {
    const a = counter();
    const user = freshUser();
    const expiresAt = store.clock.current + 5 * MINUTE;
    await a.tryOpen(user, expiresAt, 3);
    await a.tryOpen(user, expiresAt, 3);

    await a.release(user, expiresAt);
    await a.release(user, store.clock.current + 7 * MINUTE);

    expect((await storedExpiries(user))?.expiries).toEqual([expiresAt]);
  });

  it('rejects a cap that is not a positive integer', async () => {
    await expect(counter().tryOpen(freshUser(), store.clock.current + MINUTE, 0)).rejects.toThrow(RangeError);
  });
});
