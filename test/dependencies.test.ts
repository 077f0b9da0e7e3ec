// package.json's version ranges as npm resolves them on a fresh install (no lockfile to help).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Record<
  string,
  Record<string, string> | undefined
>;
const ranges = Object.entries({
  ...manifest.dependencies,
  ...manifest.devDependencies,
  ...manifest.optionalDependencies,
});

describe('dependency ranges', () => {
  it('pin every prerelease exactly', () => {
    // A caret on a prerelease (^1.0.0-beta.42) also admits every other prerelease of 1.0.0, and
    // npm then prefers the "latest" tag: for @azure/monitor-opentelemetry-exporter that is
    // 1.0.0-preview.6 of 2020. The betas after 42 need Node 22, so the pin is the choice.
    const loose = ranges.filter(
      ([, range]) => /-/.test(range) && !/^\d+\.\d+\.\d+-[\w.]+$/.test(range),
    );
    expect(ranges.length).toBeGreaterThan(10);
    expect(loose).toEqual([]);
  });
});
