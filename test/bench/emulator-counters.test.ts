import { kvsCallCounts } from '../../bench/lib/emulator';
import { outcomeOf } from '../../bench/lib/vend-event';

describe('kvsCallCounts', () => {
  it('separates calls KVS answered from the ones it throttled', () => {
    const counts = kvsCallCounts({
      GetDataEndpoint: 12,
      'GetDataEndpoint:ClientLimitExceededException': 7,
      GetHLSStreamingSessionURL: 40,
      'GetHLSStreamingSessionURL:ClientLimitExceededException': 10,
      GetDASHStreamingSessionURL: 3,
      'GetHLSStreamingSessionURL:ResourceNotFoundException': 1,
      ListStreams: 9,
    });

    expect(counts).toEqual({ getDataEndpoint: 5, sessionUrl: 33, throttled: 17 });
  });

  it('counts nothing before any call', () => {
    expect(kvsCallCounts({})).toEqual({ getDataEndpoint: 0, sessionUrl: 0, throttled: 0 });
  });
});

describe('outcomeOf', () => {
  it('reads Retry-After whatever the case of its name', () => {
    expect(outcomeOf({ statusCode: 429, headers: { 'Retry-After': '2' }, body: '' })).toEqual({
      status: 429,
      retryAfterSeconds: 2,
    });
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(outcomeOf({ statusCode: 200, body: '' })).toEqual({ status: 200 });
    expect(outcomeOf({ statusCode: 429, headers: { 'retry-after': 'soon' }, body: '' })).toEqual({
      status: 429,
    });
  });
});
