import {
  failures,
  formatValue,
  markdownTable,
  tableRows,
  verdict,
  type ScenarioResult,
} from '../../bench/lib/report';

const results: ScenarioResult[] = [
  {
    id: 'a',
    title: 'A',
    notes: [],
    figures: [
      { name: 'vends/s', value: 24.2, unit: '/s', target: { op: '>=', value: 23.75 } },
      { name: 'p99', value: 3.5, unit: 'ms', target: { op: '<=', value: 3 } },
      { name: 'for the record', value: 1234.5, unit: 'KB', digits: 0 },
    ],
  },
  { id: 'b', title: 'B', notes: [], figures: [], error: 'exited with code 1' },
];

describe('verdict', () => {
  it('passes a figure on the right side of its target, inclusive', () => {
    expect(verdict({ name: 'x', value: 2, unit: '', target: { op: '<=', value: 2 } })).toBe('PASS');
    expect(verdict({ name: 'x', value: 2.01, unit: '', target: { op: '<=', value: 2 } })).toBe('FAIL');
    expect(verdict({ name: 'x', value: 23.75, unit: '', target: { op: '>=', value: 23.75 } })).toBe('PASS');
  });

  it('fails a figure that could not be measured and leaves a figure without a target blank', () => {
    expect(verdict({ name: 'x', value: Number.NaN, unit: '', target: { op: '>=', value: 1 } })).toBe('FAIL');
    expect(verdict({ name: 'x', value: 1, unit: '' })).toBe('');
  });
});

describe('table', () => {
  it('prints each figure with its target and verdict, and an errored scenario as ERROR', () => {
    const rows = tableRows(results);

    expect(rows).toEqual([
      { scenario: 'A', figure: 'vends/s', value: '24.20 /s', target: '≥ 23.75 /s', result: 'PASS' },
      { scenario: 'A', figure: 'p99', value: '3.50 ms', target: '≤ 3.00 ms', result: 'FAIL' },
      { scenario: 'A', figure: 'for the record', value: '1,235 KB', target: '', result: '' },
      { scenario: 'B', figure: 'exited with code 1', value: '', target: '', result: 'ERROR' },
    ]);
    expect(failures(results)).toBe(2);
  });

  it('renders a Markdown table whose rows all have the same width', () => {
    const lines = markdownTable(results).split('\n');

    expect(lines[0]).toMatch(/^\| Scenario +\| Figure +\| Value +\| Target +\| Result \|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(lines).toHaveLength(2 + 4);
  });

  it('shows a value that is not a number as n/a', () => {
    expect(formatValue(Number.NaN, 'ms')).toBe('n/a');
  });
});
