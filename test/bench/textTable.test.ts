import { describe, expect, it } from 'vitest';
import { textTable, wrap } from '../../bench/lib/textTable.js';

describe('bench terminal table', () => {
  it('wraps at spaces within the width, and cuts only a word longer than it', () => {
    expect(wrap('Token-endpoint calls per request (fresh token each)', 20)).toEqual([
      'Token-endpoint calls',
      'per request (fresh',
      'token each)',
    ]);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('', 4)).toEqual(['']);
  });

  it('aligns every column, wrapped lines included, with no Markdown pipes', () => {
    const text = textTable(
      ['#', 'Measure', 'Result', 'Status'],
      [
        ['1a', 'Token-endpoint calls per request', '1.00', 'met'],
        ['3', 'CPU cost: requests/s, app / bare minimum', '0.68: median of ratios', 'MISSED'],
      ],
      [3, 16, 12, 10], // Measure's widest wrapped line is 15
    );
    const lines = text.split('\n');
    expect(text).not.toContain('|');
    expect(lines[0]).toBe('#   Measure          Result        Status');
    expect(lines[1]).toBe('──  ───────────────  ────────────  ──────');
    // Each column starts where its header does, on every line of every row.
    const starts = [0, 4, 21, 35];
    for (const line of lines.slice(2).filter(Boolean)) {
      for (const start of starts.slice(1)) {
        expect(line.length <= start || line[start - 1] === ' ').toBe(true);
      }
    }
    expect(lines).toContain('1a  Token-endpoint   1.00          met');
    expect(lines).toContain('    calls per');
    expect(lines).toContain('3   CPU cost:        0.68: median  MISSED');
    expect(lines).toContain('    requests/s, app  of ratios');
  });
});
