import { dealOrders, peakPerSecond } from '../../bench/lib/fleet-orders';

describe('dealOrders', () => {
  it('gives every stream to the fleet exactly perStream times, spread evenly over the instances', () => {
    const streams = Array.from({ length: 10 }, (_, index) => `s${index}`);

    const orders = dealOrders(streams, 3, 4);

    expect(orders.map((list) => list.length)).toEqual([8, 8, 7, 7]);
    const counts = new Map<string, number>();
    for (const stream of orders.flat()) counts.set(stream, (counts.get(stream) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...streams].sort());
    expect([...counts.values()].every((count) => count === 3)).toBe(true);
  });

  it('deals each round in another order, the same in every run', () => {
    const streams = Array.from({ length: 50 }, (_, index) => `s${index}`);

    const orders = dealOrders(streams, 2, 1)[0]!;

    expect(orders.slice(0, 50)).not.toEqual(orders.slice(50));
    expect(dealOrders(streams, 2, 1)[0]).toEqual(orders);
  });
});

describe('peakPerSecond', () => {
  it('is the largest increase within any one-second window of the samples', () => {
    const samples = [
      { at: 0, calls: 0 },
      { at: 500, calls: 100 },
      { at: 1000, calls: 250 },
      { at: 1500, calls: 260 },
      { at: 2000, calls: 600 },
    ];

    // 1000..2000: 350; 0..1000: 250; never the 600 of the whole two seconds.
    expect(peakPerSecond(samples)).toBe(350);
  });

  it('is 0 for a counter that did not move', () => {
    expect(
      peakPerSecond([
        { at: 0, calls: 7 },
        { at: 2000, calls: 7 },
      ]),
    ).toBe(0);
  });
});
