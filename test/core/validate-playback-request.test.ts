import { InvalidRequestError } from '../../lambda/core/errors';
import { validatePlaybackRequest } from '../../lambda/core/validate-playback-request';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const clock = { now: () => NOW };
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function detailsOf(body: unknown): { field: string; issue: string }[] {
  try {
    validatePlaybackRequest(body, clock);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return [...(error as InvalidRequestError).details];
  }
  throw new Error('expected the body to be rejected');
}

const fieldsOf = (body: unknown): string[] => detailsOf(body).map((detail) => detail.field);

describe('validatePlaybackRequest', () => {
  it('applies the defaults to an empty body', () => {
    expect(validatePlaybackRequest({}, clock)).toEqual({
      protocol: 'HLS',
      playbackMode: 'LIVE',
      timestampSource: 'SERVER',
      expiresInSeconds: 300,
    });
  });

  it('accepts a complete ON_DEMAND DASH request and converts timestamps to epoch ms', () => {
    const request = validatePlaybackRequest(
      {
        protocol: 'DASH',
        playbackMode: 'ON_DEMAND',
        timestampSource: 'PRODUCER',
        start: '2026-11-25T10:00:00+01:00',
        end: '2026-11-25T10:30:00.500+01:00',
        displayFragmentTimestamp: true,
        displayFragmentNumber: true,
        maxFragments: 5000,
        expiresInSeconds: 43200,
      },
      clock,
    );
    expect(request).toEqual({
      protocol: 'DASH',
      playbackMode: 'ON_DEMAND',
      timestampSource: 'PRODUCER',
      start: Date.parse('2026-11-25T09:00:00Z'),
      end: Date.parse('2026-11-25T09:30:00.500Z'),
      displayFragmentTimestamp: true,
      displayFragmentNumber: true,
      maxFragments: 5000,
      expiresInSeconds: 43200,
    });
  });

  it('accepts HLS-only fields with HLS', () => {
    const request = validatePlaybackRequest(
      { protocol: 'HLS', containerFormat: 'MPEG_TS', discontinuityMode: 'ON_DISCONTINUITY' },
      clock,
    );
    expect(request.containerFormat).toBe('MPEG_TS');
    expect(request.discontinuityMode).toBe('ON_DISCONTINUITY');
  });

  it('accepts LIVE_REPLAY without an end', () => {
    const request = validatePlaybackRequest({ playbackMode: 'LIVE_REPLAY', start: iso(NOW - HOUR) }, clock);
    expect(request.start).toBe(NOW - HOUR);
    expect(request.end).toBeUndefined();
  });

  it.each([null, [], 'text', 42, true])('rejects a body that is not an object: %p', (body) => {
    expect(detailsOf(body)).toEqual([{ field: 'body', issue: 'must be a JSON object' }]);
  });

  it('rejects unknown fields, naming each', () => {
    expect(detailsOf({ expiresInSecond: 600, url: 'x' })).toEqual([
      { field: 'expiresInSecond', issue: 'unknown field' },
      { field: 'url', issue: 'unknown field' },
    ]);
  });

  it('rejects an own __proto__ key as unknown (a name that is not a plain identifier is not echoed)', () => {
    expect(fieldsOf(JSON.parse('{"__proto__": {"admin": true}}'))).toEqual(['body']);
  });

  it.each([
    ['protocol', 'RTSP'],
    ['playbackMode', 'live'],
    ['timestampSource', 'CLIENT'],
    ['containerFormat', 'MKV'],
    ['discontinuityMode', 'SOMETIMES'],
  ])('rejects an unknown %s value', (field, value) => {
    const details = detailsOf({ [field]: value });
    expect(details).toHaveLength(1);
    expect(details[0]!.field).toBe(field);
    expect(details[0]!.issue).toMatch(/^expected one of /);
    expect(details[0]!.issue).not.toContain(value);
  });

  it.each([
    ['displayFragmentTimestamp', 'true'],
    ['displayFragmentNumber', 1],
    ['maxFragments', '10'],
    ['expiresInSeconds', null],
    ['protocol', 1],
  ])('rejects a wrong type for %s', (field, value) => {
    expect(
      fieldsOf({ protocol: field === 'displayFragmentNumber' ? 'DASH' : undefined, [field]: value }),
    ).toEqual([field]);
  });

  it.each([299, 43201, 600.5])('rejects expiresInSeconds %p', (value) => {
    expect(fieldsOf({ expiresInSeconds: value })).toEqual(['expiresInSeconds']);
  });

  it.each([300, 43200])('accepts expiresInSeconds at the bound %p', (value) => {
    expect(validatePlaybackRequest({ expiresInSeconds: value }, clock).expiresInSeconds).toBe(value);
  });

  it.each([0, 5001, 2.5])('rejects maxFragments %p', (value) => {
    expect(fieldsOf({ maxFragments: value })).toEqual(['maxFragments']);
  });

  it.each(['2026-11-25T10:00:00', '2026-11-25 10:00:00Z', '25/11/2026', '2026-13-01T00:00:00Z'])(
    'rejects a start that is not RFC 3339 with an offset: %p',
    (start) => {
      expect(detailsOf({ playbackMode: 'LIVE_REPLAY', start })).toEqual([
        { field: 'start', issue: 'must be an RFC 3339 timestamp with a time zone offset' },
      ]);
    },
  );

  it('rejects a range in LIVE mode', () => {
    expect(fieldsOf({ start: iso(NOW - 2 * HOUR), end: iso(NOW - HOUR) })).toEqual(['start', 'end']);
    expect(fieldsOf({ playbackMode: 'LIVE', end: iso(NOW - HOUR) })).toEqual(['end']);
  });

  it.each(['ON_DEMAND', 'LIVE_REPLAY'])('requires start for %s', (playbackMode) => {
    expect(detailsOf({ playbackMode, end: iso(NOW - HOUR) })).toContainEqual({
      field: 'start',
      issue: `required when playbackMode is ${playbackMode}`,
    });
  });

  it('requires end for ON_DEMAND', () => {
    expect(detailsOf({ playbackMode: 'ON_DEMAND', start: iso(NOW - HOUR) })).toEqual([
      { field: 'end', issue: 'required when playbackMode is ON_DEMAND' },
    ]);
  });

  it.each([0, -1000])('rejects an end not after start (end - start = %p ms)', (delta) => {
    const start = NOW - HOUR;
    expect(detailsOf({ playbackMode: 'ON_DEMAND', start: iso(start), end: iso(start + delta) })).toEqual([
      { field: 'end', issue: 'must be after start' },
    ]);
  });

  it('rejects a range longer than 24 hours and accepts exactly 24 hours', () => {
    const end = NOW - HOUR;
    expect(detailsOf({ playbackMode: 'ON_DEMAND', start: iso(end - 24 * HOUR - 1), end: iso(end) })).toEqual([
      { field: 'end', issue: 'must be within 24 hours of start' },
    ]);
    expect(
      validatePlaybackRequest(
        { playbackMode: 'ON_DEMAND', start: iso(end - 24 * HOUR), end: iso(end) },
        clock,
      ).end,
    ).toBe(end);
  });

  it('rejects an end in the future with SERVER timestamps, using the injected clock', () => {
    const body = { playbackMode: 'LIVE_REPLAY', start: iso(NOW - HOUR), end: iso(NOW + 1000) };
    expect(detailsOf(body)).toEqual([
      { field: 'end', issue: 'must be in the past when timestampSource is SERVER' },
    ]);
    const later = { now: () => NOW + 2000 };
    expect(validatePlaybackRequest(body, later).end).toBe(NOW + 1000);
  });

  it('allows an end in the future with PRODUCER timestamps', () => {
    const request = validatePlaybackRequest(
      {
        playbackMode: 'ON_DEMAND',
        timestampSource: 'PRODUCER',
        start: iso(NOW - HOUR),
        end: iso(NOW + HOUR),
      },
      clock,
    );
    expect(request.end).toBe(NOW + HOUR);
  });

  it('rejects HLS-only fields with DASH', () => {
    expect(
      detailsOf({ protocol: 'DASH', containerFormat: 'FRAGMENTED_MP4', discontinuityMode: 'ALWAYS' }),
    ).toEqual([
      { field: 'containerFormat', issue: 'HLS only' },
      { field: 'discontinuityMode', issue: 'HLS only' },
    ]);
  });

  it('rejects displayFragmentNumber with HLS, the default protocol', () => {
    expect(detailsOf({ displayFragmentNumber: false })).toEqual([
      { field: 'displayFragmentNumber', issue: 'DASH only' },
    ]);
  });

  it('reports every broken rule at once', () => {
    expect(
      fieldsOf({
        protocol: 'DASH',
        playbackMode: 'ON_DEMAND',
        containerFormat: 'MPEG_TS',
        displayFragmentNumber: true,
      }),
    ).toEqual(['start', 'end', 'containerFormat']);
  });
});

describe('integer fields: one detail per field, in the contract range, never an internal bound', () => {
  it.each([
    ['maxFragments', 1e308, 'must be an integer from 1 to 5000'],
    ['maxFragments', 0, 'must be an integer from 1 to 5000'],
    ['maxFragments', 2.5, 'must be an integer from 1 to 5000'],
    ['maxFragments', '10', 'must be an integer from 1 to 5000'],
    ['maxFragments', Number.MAX_SAFE_INTEGER + 2, 'must be an integer from 1 to 5000'],
    // JSON.parse('1e400') is Infinity: a JSON number all the same, out of range like any other.
    ['expiresInSeconds', JSON.parse('1e400') as number, 'must be an integer from 300 to 43200'],
    ['expiresInSeconds', -JSON.parse('1e400'), 'must be an integer from 300 to 43200'],
    ['expiresInSeconds', 1e308, 'must be an integer from 300 to 43200'],
  ])('%s: %p', (field, value, issue) => {
    expect(detailsOf({ [field]: value })).toEqual([{ field, issue }]);
  });

  it('no detail names 9007199254740991', () => {
    const details = JSON.stringify(detailsOf({ maxFragments: 1e308, expiresInSeconds: -1e308 }));
    expect(details).not.toContain('9007199254740991');
    expect(JSON.parse(details)).toHaveLength(2);
  });
});
