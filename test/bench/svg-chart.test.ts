import { lineChartSvg, tickStep } from '../../bench/lib/svg-chart';

describe('tickStep', () => {
  it('picks a round step of 1, 2 or 5 times a power of ten giving about five ticks', () => {
    expect(tickStep(200)).toBe(50);
    expect(tickStep(100)).toBe(20);
    expect(tickStep(7)).toBe(2);
  });
});

describe('lineChartSvg', () => {
  it('draws one line per series with its points, a legend, and escaped text', () => {
    const svg = lineChartSvg({
      title: 'Vends <succeeded> & failed',
      xLabel: 'instances',
      yLabel: 'vends',
      series: [
        {
          name: 'ideal',
          color: '#999999',
          dashed: true,
          points: [
            [5, 5],
            [200, 200],
          ],
        },
        {
          name: 'fleet',
          color: '#1f77b4',
          points: [
            [5, 5],
            [100, 99],
            [200, 190],
          ],
        },
      ],
    });

    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Vends &lt;succeeded&gt; &amp; failed');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    // The dashed series is dashed on the plot and in the legend; the other nowhere.
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    const fleet = /<polyline points="([^"]+)" fill="none" stroke="#1f77b4"/.exec(svg);
    expect(fleet?.[1]?.split(' ')).toHaveLength(3);
    expect(svg).toContain('>fleet</text>');
  });
});
