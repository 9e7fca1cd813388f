/**
 * A line chart as a standalone SVG document, written by hand: axes with ticks, one polyline with markers
 * per series, a legend. Enough for the benchmark's curves without a charting dependency.
 */
export interface Series {
  readonly name: string;
  readonly color: string;
  /** [x, y] pairs, in x order. */
  readonly points: readonly (readonly [number, number])[];
  /** Drawn dashed, without markers (a reference line). */
  readonly dashed?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { top: 48, right: 24, bottom: 56, left: 64 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step giving about `count` ticks over `max`: 1, 2 or 5 times a power of ten. */
export function tickStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw);
  return step ?? 10 * power;
}

const round = (value: number): string => (Math.round(value * 10) / 10).toString();

export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 420;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const all = chart.series.flatMap((series) => series.points);
  const maxX = Math.max(1, ...all.map(([x]) => x));
  const maxY = Math.max(1, ...all.map(([, y]) => y));
  const xStep = tickStep(maxX);
  const yStep = tickStep(maxY);
  const xEnd = Math.ceil(maxX / xStep) * xStep;
  const yEnd = Math.ceil(maxY / yStep) * yStep;
  const sx = (x: number): number => MARGIN.left + (x / xEnd) * plotWidth;
  const sy = (y: number): number => MARGIN.top + plotHeight - (y / yEnd) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let x = 0; x <= xEnd + 1e-9; x += xStep) {
    parts.push(
      `<line x1="${round(sx(x))}" y1="${MARGIN.top}" x2="${round(sx(x))}" y2="${MARGIN.top + plotHeight}" stroke="#e5e5e5"/>`,
      `<text x="${round(sx(x))}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${round(x)}</text>`,
    );
  }
  for (let y = 0; y <= yEnd + 1e-9; y += yStep) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${round(sy(y))}" x2="${MARGIN.left + plotWidth}" y2="${round(sy(y))}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${round(sy(y) + 4)}" text-anchor="end">${round(y)}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${MARGIN.left + plotWidth}" y2="${MARGIN.top + plotHeight}" stroke="#333333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotHeight}" stroke="#333333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text x="16" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotHeight / 2})">${escape(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, index) => {
    const points = series.points.map(([x, y]) => `${round(sx(x))},${round(sy(y))}`).join(' ');
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    if (!series.dashed) {
      for (const [x, y] of series.points) {
        parts.push(`<circle cx="${round(sx(x))}" cy="${round(sy(y))}" r="3.5" fill="${series.color}"/>`);
      }
    }
    const legendY = MARGIN.top + 14 + index * 18;
    parts.push(
      `<line x1="${MARGIN.left + 12}" y1="${legendY - 4}" x2="${MARGIN.left + 36}" y2="${legendY - 4}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${MARGIN.left + 42}" y="${legendY}">${escape(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
