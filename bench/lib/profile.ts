// A CPU profile of a code window (node:inspector, the same profiler as --cpu-prof), summarised
// as self time per origin: an npm package, a file of the app, a Node internal, GC.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byOrigin: ProfileEntry[];
  topFunctions: ProfileEntry[];
}

/** Profiles `work` alone; the profile is written to `path` too, for Chrome DevTools. */
export async function profiled<T>(
  path: string,
  work: () => Promise<T>,
): Promise<{ value: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  const value = await work();
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  await writeFile(path, JSON.stringify(profile));
  return { value, profile };
}

/** Where a frame's code comes from: package, app file, Node internal or VM activity. */
export function originOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(program)') return 'V8 / native (program)';
    return `native ${functionName}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.includes('internal/deps/undici')) return 'node: fetch (undici)';
  if (url.startsWith('node:')) {
    const module = url.replace(/^node:(internal\/)?/, '').split('/')[0] ?? url;
    return `node: ${module}`;
  }
  const app = /\/(shared|functions|bench|emulators|dist)\/(.+)$/.exec(url);
  if (app) return `${app[1]}/${app[2]}`;
  return url;
}

function ranked(times: Map<string, number>, totalMs: number, limit: number): ProfileEntry[] {
  return [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, share: ms / totalMs }));
}

export function summarize(profile: CpuProfile, limit = 15): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  // A native function (no URL) is charged to the nearest JavaScript caller's origin, so that
  // e.g. WebCrypto's job.run() shows up under node: crypto and the caller is known.
  const originOfNode = (id: number): string => {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return 'unknown';
    if (frame.url || frame.functionName.startsWith('(')) return originOf(frame);
    for (let up = parents.get(id); up !== undefined; up = parents.get(up)) {
      const caller = nodes.get(up)?.callFrame;
      if (caller?.url) return `${originOf(caller)} (native ${frame.functionName})`;
    }
    return originOf(frame);
  };
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    if (!frame || frame.functionName === '(idle)') return;
    totalMs += ms;
    const origin = originOfNode(id);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} ${origin}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  return {
    totalMs,
    byOrigin: ranked(byOrigin, totalMs, limit),
    topFunctions: ranked(byFunction, totalMs, limit),
  };
}
