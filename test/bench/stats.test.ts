import { median, percentile, ratio, summarize } from '../../bench/lib/stats';

describe('percentile', () => {
  it('uses the nearest rank, so the result is always a sample', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);

    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile(samples, 0)).toBe(1);
  });

  it('takes the upper middle of an even count as the median and does not reorder its input', () => {
    const samples = [4, 1, 3, 2];

    expect(median(samples)).toBe(2);
    expect(samples).toEqual([4, 1, 3, 2]);
  });

  it('is NaN without samples and refuses a percentile outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('reports count, percentiles, mean and extremes', () => {
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, mean: 2, min: 1, max: 3 });
  });

  it('reports NaN figures for no samples', () => {
    expect(summarize([]).p99).toBeNaN();
  });
});

describe('ratio', () => {
  it('is NaN rather than Infinity when dividing by zero', () => {
    expect(ratio(5, 0)).toBeNaN();
    expect(ratio(5, 2)).toBe(2.5);
  });
});
