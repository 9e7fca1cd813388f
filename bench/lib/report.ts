/**
 * The shape every scenario returns, and the one table `npm run bench` prints. A figure with a target
 * gets PASS/FAIL; a figure without one is "for the record".
 */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: Target;
  /** Digits after the decimal point when printed. */
  readonly digits?: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly figures: readonly Figure[];
  /** Context a reader needs (settings, what was lifted, why a figure is what it is). */
  readonly notes: readonly string[];
  /** Scenario-specific raw data kept in the JSON only. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Set when the scenario could not run at all. */
  readonly error?: string;
}

export type Verdict = 'PASS' | 'FAIL' | '';

export function verdict(figure: Figure): Verdict {
  if (!figure.target) return '';
  if (!Number.isFinite(figure.value)) return 'FAIL';
  return figure.target.op === '>='
    ? figure.value >= figure.target.value
      ? 'PASS'
      : 'FAIL'
    : figure.value <= figure.target.value
      ? 'PASS'
      : 'FAIL';
}

export function formatValue(value: number, unit: string, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  const number = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return unit ? `${number} ${unit}` : number;
}

function formatTarget(figure: Figure): string {
  if (!figure.target) return '';
  const op = figure.target.op === '>=' ? '≥' : '≤';
  return `${op} ${formatValue(figure.target.value, figure.unit, figure.digits)}`;
}

export interface TableRow {
  readonly scenario: string;
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly result: Verdict | 'ERROR';
}

export function tableRows(results: readonly ScenarioResult[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const result of results) {
    if (result.error !== undefined) {
      rows.push({ scenario: result.title, figure: result.error, value: '', target: '', result: 'ERROR' });
      continue;
    }
    for (const figure of result.figures) {
      rows.push({
        scenario: result.title,
        figure: figure.name,
        value: formatValue(figure.value, figure.unit, figure.digits),
        target: formatTarget(figure),
        result: verdict(figure),
      });
    }
  }
  return rows;
}

const HEADERS = ['Scenario', 'Figure', 'Value', 'Target', 'Result'] as const;

/** A Markdown table: readable in a terminal, and pasted as is into README.md / bench/LATEST.md. */
export function markdownTable(results: readonly ScenarioResult[]): string {
  const cells = tableRows(results).map((row) => [
    row.scenario,
    row.figure,
    row.value,
    row.target,
    row.result,
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  const line = (values: readonly string[]): string =>
    `| ${values.map((value, column) => value.padEnd(widths[column]!)).join(' | ')} |`;
  return [
    line(HEADERS),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...cells.map(line),
  ].join('\n');
}

export function failures(results: readonly ScenarioResult[]): number {
  return tableRows(results).filter((row) => row.result === 'FAIL' || row.result === 'ERROR').length;
}
