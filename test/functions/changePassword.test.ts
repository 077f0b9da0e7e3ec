// The adapter registers what the Functions host needs: the route, POST and OPTIONS (the preflight
// must reach our CORS code), anonymous. Read back from '@azure/functions-core', the module the
// worker provides (here the local host's stand-in, on NODE_PATH from test/setup/emulators.ts).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import '../../functions/changePassword.js';

interface Registered {
  metadata: {
    name: string;
    bindings: Record<string, { type: string; direction: string; [key: string]: unknown }>;
  };
  callback: unknown;
}

const core = createRequire(import.meta.url)('@azure/functions-core') as {
  functions: Registered[];
  hooks: { hookName: string; callback: (context: object) => unknown }[];
};

describe('functions/changePassword.ts', () => {
  it('registers one anonymous HTTP trigger on me/changePassword for POST and OPTIONS', () => {
    expect(core.functions.map((f) => f.metadata.name)).toEqual(['changePassword']);
    const [registered] = core.functions;
    const bindings = Object.values(registered?.metadata.bindings ?? {});
    expect(bindings.find((b) => b.direction === 'in')).toMatchObject({
      type: 'httpTrigger',
      route: 'me/changePassword',
      methods: ['POST', 'OPTIONS'],
      authLevel: 'anonymous',
    });
    expect(bindings.find((b) => b.direction === 'out')).toMatchObject({ type: 'http' });
    expect(typeof registered?.callback).toBe('function');
  });

  it('flushes telemetry when the worker terminates, and nothing else runs as a hook', async () => {
    expect(core.hooks.map((h) => h.hookName)).toEqual(['appTerminate']);
    // No exporter configured here: the flush has nothing to send and resolves.
    await expect(
      core.hooks[0]?.callback({ hookData: {}, appHookData: {} }),
    ).resolves.toBeUndefined();
  });
});
