// bench/lib/quiet.ts names the processes behind "other work": a process that keeps a core busy
// beside a measurement is listed with its pid and the cores it used.
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { busiest, processCpu } from '../../bench/lib/quiet.js';

describe.runIf(process.platform === 'linux')('bench: who the other work was', () => {
  it('lists a busy process with its pid and cores, and not this process', async () => {
    const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      await delay(300);
      const before = processCpu();
      const started = performance.now();
      await delay(1000);
      const seconds = (performance.now() - started) / 1000;
      const list = busiest(before, processCpu(), seconds, 100);
      const mine = list.find((entry) => entry.startsWith(`node (pid ${burner.pid}) `));
      expect(mine, list.join('; ')).toBeDefined();
      // A shared machine may give it less than a whole core, but clearly some.
      expect(Number(mine?.split(' ').at(-1))).toBeGreaterThan(0.1);
      expect(list.some((entry) => entry.includes(`(pid ${process.pid})`))).toBe(false);
    } finally {
      burner.kill('SIGKILL');
    }
  });
});
