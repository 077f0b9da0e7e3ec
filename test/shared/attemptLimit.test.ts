import { describe, expect, it } from 'vitest';
import { liveAttempts, secondsUntilAttemptFrees, userKey } from '../../shared/attemptLimit.js';

const TID = '4F1C2D3E-5A6B-4C7D-8E9F-0A1B2C3D4E5F';
const OID = '11111111-2222-4333-8444-555555555555';

describe('userKey', () => {
  it('is a SHA-256 of tenant and object id: 64 hex digits that name neither', () => {
    const key = userKey({ tid: TID, oid: OID });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain(OID.slice(0, 8));
    expect(userKey({ tid: TID.toLowerCase(), oid: OID })).toBe(key); // GUID case does not matter
    expect(userKey({ tid: TID, oid: OID.replace('5555', '6666') })).not.toBe(key);
    expect(userKey({ tid: OID, oid: TID })).not.toBe(key);
  });
});

describe('the window', () => {
  const now = 1_800_000_000_000;
  const windowMs = 60_000;

  it('keeps only the attempts of the last window, oldest first', () => {
    expect(
      liveAttempts([now - 1000, now - 60_000, now - 59_999, now - 70_000], now, windowMs),
    ).toEqual([now - 59_999, now - 1000]);
  });

  it('waits until enough attempts leave the window for one to be free', () => {
    // Budget 2, spent 10 s and 30 s ago: the older frees up in 30 s.
    expect(secondsUntilAttemptFrees([now - 30_000, now - 10_000], 2, now, windowMs)).toBe(30);
    // Three live (the budget was lowered to 2): two must leave, so the second oldest counts.
    expect(
      secondsUntilAttemptFrees([now - 50_000, now - 30_000, now - 10_000], 2, now, windowMs),
    ).toBe(30);
    // Rounded up, and never 0.
    expect(secondsUntilAttemptFrees([now - 59_500], 1, now, windowMs)).toBe(1);
    expect(secondsUntilAttemptFrees([now - 58_200], 1, now, windowMs)).toBe(2);
  });

  it('waits only until attempts still in progress must have settled', () => {
    const live = [now - 20_000, now - 1000];
    // Budget 2: one failure, one attempt in progress that settles within 10 s: ask again in 9 s.
    expect(secondsUntilAttemptFrees(live, 2, now, windowMs, [now - 1000], 10_000)).toBe(9);
    // Both failures: the window decides.
    expect(secondsUntilAttemptFrees(live, 2, now, windowMs, [], 10_000)).toBe(40);
    // Budget 1 is spent by the failure alone: what is in progress does not matter.
    expect(secondsUntilAttemptFrees(live, 1, now, windowMs, [now - 1000], 10_000)).toBe(59);
    // Never longer than the window's own answer.
    expect(
      secondsUntilAttemptFrees([now - 59_000, now - 1000], 2, now, windowMs, [now - 1000], 1e6),
    ).toBe(1);
  });
});
