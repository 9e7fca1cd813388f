import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GrantRecordError,
  parseGrantRecord,
  parseGrantRecords,
} from '../../lambda/adapters/grants/grant-records';
import { createStaticGrantStore, loadGrantsFile } from '../../lambda/adapters/grants/static-grant-store';

const alice = {
  principal: 'user:alice',
  streams: ['front-door'],
  playbackModes: ['LIVE', 'ON_DEMAND', 'LIVE_REPLAY'],
  protocols: ['HLS', 'DASH'],
  maxExpiresInSeconds: 900,
  archiveWindowSeconds: 86400,
  notAfter: '2027-01-01T00:00:00Z',
};
const security = {
  principal: 'group:security',
  grantId: 'all-streams',
  streams: ['*'],
  playbackModes: ['LIVE'],
  protocols: ['HLS'],
  maxExpiresInSeconds: 3600,
};

describe('parseGrantRecords', () => {
  it('turns records into grants, with notAfter as epoch ms and optional fields left out', () => {
    const [grant, group] = parseGrantRecords([alice, security]);
    expect(grant).toEqual({
      principal: 'user:alice',
      grantId: expect.stringMatching(/^g-[0-9a-f]{16}$/) as string,
      streams: ['front-door'],
      playbackModes: ['LIVE', 'ON_DEMAND', 'LIVE_REPLAY'],
      protocols: ['HLS', 'DASH'],
      maxExpiresInSeconds: 900,
      archiveWindowSeconds: 86400,
      notAfter: Date.UTC(2027, 0, 1),
    });
    expect(group).toEqual({
      principal: 'group:security',
      grantId: 'all-streams',
      streams: ['*'],
      playbackModes: ['LIVE'],
      protocols: ['HLS'],
      maxExpiresInSeconds: 3600,
    });
    expect(group).not.toHaveProperty('notAfter');
  });

  it('derives a stable default grantId from the content', () => {
    const first = parseGrantRecord(alice).grantId;
    expect(parseGrantRecord({ ...alice }).grantId).toBe(first);
    expect(parseGrantRecord({ ...alice, maxExpiresInSeconds: 901 }).grantId).not.toBe(first);
  });

  it('carries an optional per-grant caller limit, and keeps the default id of grants without one', () => {
    const limited = parseGrantRecord({ ...alice, callerLimit: { ratePerSecond: 2.5, burst: 4 } });
    const plain = parseGrantRecord(alice);
    expect(limited.callerLimit).toEqual({ ratePerSecond: 2.5, burst: 4 });
    expect(plain.callerLimit).toBeUndefined();
    expect(limited.grantId).not.toBe(plain.grantId);
    expect(parseGrantRecord(alice).grantId).toBe(plain.grantId);
  });

  it('carries an explicit consent to producer timestamps, and keeps the default id of grants without one', () => {
    const consenting = parseGrantRecord({ ...alice, archiveWindowSeconds: 600, producerTimestamps: true });
    const declining = parseGrantRecord({ ...alice, archiveWindowSeconds: 600, producerTimestamps: false });
    const plain = parseGrantRecord({ ...alice, archiveWindowSeconds: 600 });
    expect(consenting.producerTimestamps).toBe(true);
    expect(declining.producerTimestamps).toBe(false);
    expect(plain).not.toHaveProperty('producerTimestamps');
    expect(new Set([consenting.grantId, declining.grantId, plain.grantId]).size).toBe(3);
    expect(parseGrantRecord({ ...alice, archiveWindowSeconds: 600 }).grantId).toBe(plain.grantId);
  });

  it('accepts notAfter with an offset', () => {
    expect(parseGrantRecord({ ...alice, notAfter: '2027-01-01T02:00:00+02:00' }).notAfter).toBe(
      Date.UTC(2027, 0, 1),
    );
  });

  it.each([
    ['a principal without a kind', { ...alice, principal: 'alice' }, /principal/],
    ['an unknown principal kind', { ...alice, principal: 'role:admin' }, /principal/],
    ['an empty principal id', { ...alice, principal: 'user:' }, /principal/],
    ['no streams', { ...alice, streams: [] }, /streams/],
    ['a stream with a slash', { ...alice, streams: ['a/b'] }, /streams\.0/],
    ['a star in the middle', { ...alice, streams: ['a*b'] }, /streams\.0/],
    ['an unknown mode', { ...alice, playbackModes: ['LIVE', 'REWIND'] }, /playbackModes\.1/],
    ['no modes', { ...alice, playbackModes: [] }, /playbackModes/],
    ['an unknown protocol', { ...alice, protocols: ['RTSP'] }, /protocols\.0/],
    ['expiry below 300', { ...alice, maxExpiresInSeconds: 299 }, /maxExpiresInSeconds/],
    ['expiry above 43200', { ...alice, maxExpiresInSeconds: 43201 }, /maxExpiresInSeconds/],
    ['a fractional expiry', { ...alice, maxExpiresInSeconds: 300.5 }, /maxExpiresInSeconds/],
    ['expiry as a string', { ...alice, maxExpiresInSeconds: '900' }, /maxExpiresInSeconds/],
    ['a negative archive window', { ...alice, archiveWindowSeconds: -1 }, /archiveWindowSeconds/],
    ['notAfter that is not RFC 3339', { ...alice, notAfter: 'next year' }, /notAfter/],
    ['notAfter as a number', { ...alice, notAfter: 1798761600000 }, /notAfter/],
    ['a misspelt optional field', { ...alice, notafter: '2027-01-01T00:00:00Z' }, /notafter/],
    ['a missing required field', { ...alice, protocols: undefined }, /protocols/],
    [
      'a zero caller limit',
      { ...alice, callerLimit: { ratePerSecond: 0, burst: 1 } },
      /callerLimit\.ratePerSecond/,
    ],
    ['a fractional burst', { ...alice, callerLimit: { ratePerSecond: 1, burst: 1.5 } }, /callerLimit\.burst/],
    ['an unknown caller limit field', { ...alice, callerLimit: { ratePerSecond: 1, burst: 1, x: 1 } }, /x/],
    ['producerTimestamps as a string', { ...alice, producerTimestamps: 'true' }, /producerTimestamps/],
    ['producerTimestamps as a number', { ...alice, producerTimestamps: 1 }, /producerTimestamps/],
    ['a misspelt producerTimestamps', { ...alice, producerTimestamp: true }, /producerTimestamp/],
  ])('rejects %s', (_name, record, field) => {
    expect(() => parseGrantRecords([security, record])).toThrow(GrantRecordError);
    expect(() => parseGrantRecords([security, record])).toThrow(/grant record #1/);
    expect(() => parseGrantRecords([security, record])).toThrow(field);
  });

  it('rejects anything but an array', () => {
    expect(() => parseGrantRecords({ grants: [] })).toThrow(/JSON array/);
    expect(() => parseGrantRecords([null])).toThrow(GrantRecordError);
  });
});

describe('static grant store', () => {
  it('returns the grants of every principal asked for, and nothing else', async () => {
    const store = createStaticGrantStore(
      parseGrantRecords([alice, security, { ...security, principal: 'user:bob' }]),
    );
    const grants = await store.grantsFor([
      'user:alice',
      'group:security',
      'group:security',
      'partner:nobody',
    ]);
    expect(grants.map((g) => g.principal)).toEqual(['user:alice', 'group:security']);
    await expect(store.grantsFor(['user:mallory'])).resolves.toEqual([]);
  });

  it('loads a grants file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-'));
    const path = join(dir, 'grants.json');
    writeFileSync(path, JSON.stringify([alice, security]));
    const store = createStaticGrantStore(loadGrantsFile(path));
    const grants = await store.grantsFor(['user:alice']);
    expect(grants).toHaveLength(1);
    expect(grants[0]?.streams).toEqual(['front-door']);
  });

  it('fails loudly on a missing, malformed or invalid grants file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{');
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify([{ ...alice, protocols: ['RTSP'] }]));
    expect(() => loadGrantsFile(join(dir, 'absent.json'))).toThrow(/ENOENT/);
    expect(() => loadGrantsFile(broken)).toThrow(/not valid JSON/);
    expect(() => loadGrantsFile(invalid)).toThrow(/invalid\.json: Invalid grant record #0: protocols\.0/);
  });
});

describe('the numbers a grant record holds', () => {
  const limited = (ratePerSecond: number) => ({ ...alice, callerLimit: { ratePerSecond, burst: 1 } });
  const detailsOf = (record: unknown) => {
    try {
      parseGrantRecord(record);
    } catch (error) {
      if (error instanceof GrantRecordError) return error.details;
      throw error;
    }
    return [];
  };

  it('refuses a caller limit slower than one request a day, with the field named', () => {
    for (const rate of [1e-130, 1e-200, 5e-324, 1 / 86_400 / 2]) {
      expect(detailsOf(limited(rate))).toEqual([
        { field: 'callerLimit.ratePerSecond', issue: expect.stringContaining('at least') as string },
      ]);
    }
    expect(parseGrantRecord(limited(1 / 86_400)).callerLimit).toEqual({
      ratePerSecond: 1 / 86_400,
      burst: 1,
    });
  });

  it('holds no number outside DynamoDB’s range (1E-130 to 9.9E+125 in magnitude)', () => {
    expect(detailsOf({ ...alice, archiveWindowSeconds: 1e200 })).toEqual([
      expect.objectContaining({ field: 'archiveWindowSeconds' }),
    ]);
    expect(detailsOf(limited(1e200))).toEqual([
      expect.objectContaining({ field: 'callerLimit.ratePerSecond' }),
    ]);
  });
});
