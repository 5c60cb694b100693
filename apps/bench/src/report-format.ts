/** How every part of the report writes its figures and tables (Markdown). */

export const int = (value: number | undefined) =>
  value === undefined ? '–' : Math.round(value).toLocaleString('en-US');
export const ms = (value: number | undefined) =>
  value === undefined ? '–' : value.toFixed(value < 10 ? 2 : 1);
export const times = (value: number | undefined) =>
  value === undefined ? '–' : `${value.toFixed(2)}×`;
export const kib = (bytes: number | undefined) =>
  bytes === undefined ? '–' : `${(bytes / 1024).toFixed(1)} KiB`;

/** a / b to two decimals, or undefined when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b !== 0
    ? Math.round((a / b) * 100) / 100
    : undefined;
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
