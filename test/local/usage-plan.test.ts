import { UsagePlanMeter, type LocalPartner } from '../../local/api-gateway/usage-plan';

const partner = (usagePlan: LocalPartner['usagePlan']): LocalPartner => ({
  apiKeyId: 'p-1',
  apiKey: 'secret-key-value',
  usagePlan,
});

describe('UsagePlanMeter', () => {
  it('lets a burst through, throttles the next request, and refills at the rate', () => {
    let now = Date.UTC(2026, 10, 25, 12);
    const meter = new UsagePlanMeter(() => now);
    const plan = partner({ rateLimit: 2, burstLimit: 3 });

    const burst = [meter.consume(plan), meter.consume(plan), meter.consume(plan)];
    const fourth = meter.consume(plan);
    now += 500; // one token at 2 per second
    const afterHalfSecond = [meter.consume(plan), meter.consume(plan)];

    expect(burst).toEqual(['allowed', 'allowed', 'allowed']);
    expect(fourth).toBe('throttled');
    expect(afterHalfSecond).toEqual(['allowed', 'throttled']);
  });

  it('never refills beyond the burst size', () => {
    let now = 0;
    const meter = new UsagePlanMeter(() => now);
    const plan = partner({ rateLimit: 100, burstLimit: 2 });
    meter.consume(plan);

    now += 60_000;
    const verdicts = [meter.consume(plan), meter.consume(plan), meter.consume(plan)];

    expect(verdicts).toEqual(['allowed', 'allowed', 'throttled']);
  });

  it('enforces the daily quota until the next UTC day', () => {
    let now = Date.UTC(2026, 10, 25, 23, 59, 0);
    const meter = new UsagePlanMeter(() => now);
    const plan = partner({ rateLimit: 1000, burstLimit: 1000, quota: { limit: 2, period: 'DAY' } });

    const today = [meter.consume(plan), meter.consume(plan), meter.consume(plan)];
    now = Date.UTC(2026, 10, 26, 0, 0, 1);
    const tomorrow = meter.consume(plan);

    expect(today).toEqual(['allowed', 'allowed', 'quota-exceeded']);
    expect(tomorrow).toBe('allowed');
  });

  it('starts weekly quotas on Monday (UTC)', () => {
    let now = Date.UTC(2026, 10, 29, 12); // a Sunday
    const meter = new UsagePlanMeter(() => now);
    const plan = partner({ rateLimit: 1000, burstLimit: 1000, quota: { limit: 1, period: 'WEEK' } });

    const sunday = [meter.consume(plan), meter.consume(plan)];
    now = Date.UTC(2026, 10, 30, 0, 0, 1); // Monday
    const monday = meter.consume(plan);

    expect(sunday).toEqual(['allowed', 'quota-exceeded']);
    expect(monday).toBe('allowed');
  });

  it('keeps a separate bucket and quota per key', () => {
    const meter = new UsagePlanMeter(() => 0);
    const first = partner({ rateLimit: 1, burstLimit: 1 });
    const second = { ...partner({ rateLimit: 1, burstLimit: 1 }), apiKeyId: 'p-2', apiKey: 'other' };

    const verdicts = [meter.consume(first), meter.consume(second), meter.consume(first)];

    expect(verdicts).toEqual(['allowed', 'allowed', 'throttled']);
  });
});
