// A plain-text table for the terminal: columns aligned, long cells wrapped at word boundaries
// within their column's width (the Markdown table stays for docs/benchmarks.md).

/** Splits `text` into lines of at most `width` characters, breaking at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    // A single word longer than the column is cut.
    let rest = line ? `${line} ${word}` : word;
    while (rest.length > width) {
      lines.push(rest.slice(0, width));
      rest = rest.slice(width);
    }
    line = rest;
  }
  return [...lines, line];
}

/**
 * `maxWidths[i]` caps column i (cells wrap within it); a column is as wide as its widest line.
 * Rows are separated by a blank line when any cell wraps, so each row reads as one block.
 */
export function textTable(headers: string[], rows: string[][], maxWidths: number[]): string {
  const cells = [headers, ...rows].map((row) =>
    row.map((cell, i) => wrap(cell, maxWidths[i] ?? Number.POSITIVE_INFINITY)),
  );
  const widths = headers.map((_, i) =>
    Math.max(...cells.flatMap((row) => (row[i] ?? ['']).map((line) => line.length))),
  );
  const wraps = cells.some((row) => row.some((lines) => lines.length > 1));
  const render = (row: string[][]) => {
    const height = Math.max(...row.map((lines) => lines.length));
    return Array.from({ length: height }, (_, n) =>
      row
        .map((lines, i) => (lines[n] ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  };
  const [head = [], ...body] = cells;
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const out = [...render(head), rule];
  body.forEach((row, index) => {
    if (wraps && index > 0) out.push('');
    out.push(...render(row));
  });
  return out.join('\n');
}
