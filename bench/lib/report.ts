// Printing a benchmark's results: aligned plain-text tables, numbers with a fixed number of decimals,
// and ratios of one figure to another (the same text forms as bench/switch.ts prints).

/** `x` with exactly `digits` decimals and thousands separators. */
export function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** ours/ref as "0.42×"; "—" when either is missing, "∞" for something over nothing. */
export function ratioText(ours: number | undefined, ref: number | undefined, digits = 2): string {
  if (ours === undefined || ref === undefined) return '—';
  if (ref === 0) return ours > 0 ? '∞' : '—';
  return `${(ours / ref).toFixed(digits)}×`;
}

/** Prints a table: the first column left-aligned, the others right-aligned, a rule under the heading. */
export function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const b of body) console.log(line(b));
}
