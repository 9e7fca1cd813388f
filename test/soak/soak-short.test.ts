import { formatSoakResult, runSoak, type SoakOptions } from './soak';

/**
 * The short version of `npm run soak`, part of `npm test`: five seconds of mixed load on the local stack.
 * It asserts what cannot depend on machine speed (no 5xx, nothing lost, no refusal turned into a success,
 * no leak) and a heap bound generous enough for a run this short; the figures are printed.
 */
const OPTIONS: SoakOptions = { seconds: 5, concurrency: 8, maxHeapGrowthMb: 64, sampleEveryMs: 250 };

describe('short soak of the local stack', () => {
  it('answers every request of a mixed load, never with a 5xx, with a bounded heap and no leak', async () => {
    const result = await runSoak(OPTIONS);
    console.log(formatSoakResult(result, OPTIONS));

    expect(result.requests).toBeGreaterThan(0);
    expect(result.serverErrors).toBe(0);
    expect(result.lost).toBe(0);
    expect(result.answered).toBe(result.requests);
    expect(result.leaks).toBe(0);
    expect(result.heap.growthMb).toBeLessThanOrEqual(OPTIONS.maxHeapGrowthMb);
    expect(result.failures).toEqual([]);
    // Every scenario of the mix ran, and the refusals stayed refusals.
    expect(Object.keys(result.byScenario)).toHaveLength(15);
    expect(result.byScenario['forbidden stream']).toEqual({ 403: expect.any(Number) as number });
    expect(result.byScenario['vend HLS (alice)']?.['200']).toBeGreaterThan(0);
  });
});
