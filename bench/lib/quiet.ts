// Other work may share this machine. Before measuring, wait (bounded) for it to be idle, and
// say so in the results when it was not.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

/** Busy and total CPU time (ms) of the whole machine so far, all cores. */
export function busyTotals(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Share of the whole machine's CPU (0..1) busy over the next `ms`. */
export async function machineBusy(ms: number): Promise<number> {
  const before = busyTotals();
  await delay(ms);
  const after = busyTotals();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

export interface QuietWait {
  /** Seconds waited. */
  waited: number;
  /** Busy share of the machine in the last second before measuring started. */
  busy: number;
  quiet: boolean;
}

/**
 * Waits until the machine is at most `threshold` busy for `calmSeconds` in a row, or
 * `maxSeconds` have passed.
 */
export async function waitForQuiet(
  maxSeconds = 60,
  calmSeconds = 3,
  threshold = 0.15,
): Promise<QuietWait> {
  const started = performance.now();
  let calm = 0;
  let busy = 1;
  while ((performance.now() - started) / 1000 < maxSeconds) {
    busy = await machineBusy(1000);
    calm = busy <= threshold ? calm + 1 : 0;
    if (calm >= calmSeconds) break;
  }
  return { waited: (performance.now() - started) / 1000, busy, quiet: calm >= calmSeconds };
}

/**
 * CPU time (ms) of this process's children that have exited and been reaped (Linux
 * /proc/self/stat cutime + cstime, in clock ticks of 10 ms); 0 where there is no /proc.
 */
function reapedChildrenMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

/**
 * How many cores other work used while `work` ran: the machine's busy CPU time minus this
 * process's and its children's (the children must have exited when `work` resolves).
 */
export async function othersDuring<T>(
  work: () => Promise<T>,
): Promise<{ value: T; otherCores: number; seconds: number }> {
  const machineBefore = busyTotals();
  const ownBefore = process.cpuUsage();
  const childrenBefore = reapedChildrenMs();
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const machineMs = busyTotals().busy - machineBefore.busy;
  const oursMs = (own.user + own.system) / 1000 + reapedChildrenMs() - childrenBefore;
  return { value, otherCores: Math.max(0, machineMs - oursMs) / 1000 / seconds, seconds };
}

/** CPU time (ms) of every process now, by pid, with its command name (Linux /proc). */
export function processCpu(): Map<string, { command: string; ms: number }> {
  const byPid = new Map<string, { command: string; ms: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return byPid; // no /proc
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      byPid.set(pid, { command, ms: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      // exited meanwhile
    }
  }
  return byPid;
}

/**
 * The processes (other than this one) that used the most CPU between two snapshots, e.g.
 * "chromium (pid 123) 0.41": what "other work" was, where it ran the whole time. A process that
 * started and ended in between is not seen.
 */
export function busiest(
  before: ReturnType<typeof processCpu>,
  after: ReturnType<typeof processCpu>,
  seconds: number,
  limit = 3,
): string[] {
  const used: { label: string; cores: number }[] = [];
  for (const [pid, now] of after) {
    const then = before.get(pid);
    if (!then || then.command !== now.command || pid === String(process.pid)) continue;
    const cores = (now.ms - then.ms) / 1000 / seconds;
    if (cores >= 0.05) used.push({ label: `${now.command} (pid ${pid})`, cores });
  }
  return used
    .sort((a, b) => b.cores - a.cores)
    .slice(0, limit)
    .map(({ label, cores }) => `${label} ${cores.toFixed(2)}`);
}

/** Cores other work on the machine used during each measurement, for the report. */
export const otherLoad: { name: string; cores: number; seconds: number; busiest: string[] }[] = [];

/**
 * Runs `work` once the machine has been idle for 2 s (waiting 10 s at most), noting under
 * `name` how much other work shared the machine meanwhile, and which processes it was.
 */
export async function watched<T>(name: string, work: () => Promise<T>): Promise<T> {
  await waitForQuiet(10, 2);
  const before = processCpu();
  const { value, otherCores, seconds } = await othersDuring(work);
  otherLoad.push({
    name,
    cores: otherCores,
    seconds,
    busiest: busiest(before, processCpu(), seconds),
  });
  return value;
}
