// The bench entry runs the emulators; its measuring children ask it, over the IPC channel of
// child_process.fork, how much CPU the emulator process has used so far.
import type { ChildProcess } from 'node:child_process';

interface CpuQuery {
  type: 'cpu';
  id: number;
}
interface CpuAnswer {
  type: 'cpu';
  id: number;
  cpu: NodeJS.CpuUsage;
}
export interface ResultMessage<T = unknown> {
  type: 'result';
  result: T;
}

/** Parent side: answers a child's CPU queries with the parent's (the emulators') CPU time. */
export function answerCpuQueries(child: ChildProcess): void {
  child.on('message', (message: CpuQuery) => {
    if (message?.type === 'cpu') {
      const answer: CpuAnswer = { type: 'cpu', id: message.id, cpu: process.cpuUsage() };
      child.send(answer);
    }
  });
}

let nextId = 0;
const waiting = new Map<number, (cpu: NodeJS.CpuUsage) => void>();
let listening = false;

/** Child side: CPU time (user + system, µs) the emulator process has used so far. */
export function emulatorCpuMicros(): Promise<number> {
  if (!process.send) throw new Error('not started by the bench entry (no IPC channel)');
  if (!listening) {
    listening = true;
    process.on('message', (message: CpuAnswer) => {
      if (message?.type === 'cpu') {
        waiting.get(message.id)?.(message.cpu);
        waiting.delete(message.id);
      }
    });
  }
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, (cpu) => resolve(cpu.user + cpu.system));
    process.send?.({ type: 'cpu', id } satisfies CpuQuery);
  });
}

/** Child side: hands the result to the parent, then exits. */
export function sendResult(result: unknown): void {
  const message: ResultMessage = { type: 'result', result };
  if (!process.send) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(0);
  }
  process.send(message, () => process.exit(0));
}
