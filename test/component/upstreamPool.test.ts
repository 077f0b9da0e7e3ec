// shared/upstreamPool.ts against the emulators over real HTTPS: kept-alive HTTP/1.1 although the
// upstreams offer HTTP/2, a bounded number of connections, and a Graph budget that counts only
// the exchange itself.
import { connect } from 'node:tls';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  addFailure,
  clearFailures,
  createUser,
  getStats,
  mintToken,
  resetStats,
} from '../../emulators/control-client.js';
import { createAccessTokenValidator } from '../../shared/accessToken.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { changePasswordInGraph } from '../../shared/graph.js';
import { createOnBehalfOfExchanger } from '../../shared/onBehalfOf.js';
import { createUpstreamPool, type UpstreamPool } from '../../shared/upstreamPool.js';
import { appEnv, entraUrl, uniqueUsername } from './harness.js';

const PASSWORD = 'Old-Passw0rd!';
const wrongCurrent = { currentPassword: 'Not-The-Passw0rd!', newPassword: 'Never-Applied1!' };

function configFor(env: Record<string, string | undefined>): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.config;
}

/** Graph tokens for a fresh user, through the real token check and OBO exchange. */
async function graphTokens(config: Config, pool: UpstreamPool, authority: string, count: number) {
  const username = uniqueUsername('pool');
  await createUser(authority, { username, password: PASSWORD });
  const validate = createAccessTokenValidator(config);
  const exchange = await createOnBehalfOfExchanger(config, pool);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const caller = await validate(`Bearer ${await mintToken(authority, { username })}`);
    if (!caller.ok) throw new Error(caller.failure.code);
    const graphToken = await exchange(caller.value, `pool-${i}`);
    if (!graphToken.ok) throw new Error(graphToken.failure.code);
    tokens.push(graphToken.value);
  }
  return { username, tokens };
}

/** The protocol a TLS client offering both h2 and http/1.1 gets from the server at `url`. */
function negotiatedProtocol(url: string): Promise<string | false | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), ALPNProtocols: ['h2', 'http/1.1'] },
      () => {
        resolve(socket.alpnProtocol);
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

const pools: UpstreamPool[] = [];
async function pool(options?: Parameters<typeof createUpstreamPool>[0]) {
  const created = await createUpstreamPool(options);
  pools.push(created);
  return created;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));
beforeEach(async () => {
  await clearFailures(entraUrl);
  await resetStats(entraUrl);
});

describe('the upstream pool', () => {
  it('keeps a burst on a few kept-alive HTTP/1.1 connections, although Graph offers HTTP/2', async () => {
    // The emulated Graph offers h2 by ALPN, as Graph does: the pool's HTTP/1.1 is its own choice.
    expect(await negotiatedProtocol(inject('emulators').graphUrl)).toBe('h2');
    const config = configFor(appEnv());
    const shared = await pool();
    const { tokens } = await graphTokens(config, shared, entraUrl, 4);
    await resetStats(entraUrl);
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        changePasswordInGraph(config, shared, tokens[i % 4] as string, wrongCurrent, `b-${i}`),
      ),
    );
    expect(results.every((r) => !r.ok && r.failure.code === 'graph_error')).toBe(true);
    const stats = await getStats(entraUrl);
    expect(stats.graph).toBe(120);
    expect(stats.tlsConnections.graph).toBeGreaterThanOrEqual(1);
    expect(stats.tlsConnections.graph).toBeLessThanOrEqual(32);
    expect(stats.http2Connections.graph).toBe(0);
  });

  it('does not charge the wait for a free connection to GRAPH_TIMEOUT_MS', async () => {
    // One connection: Graph calls of 150 ms each queue for it, so the last one takes longer than
    // its 400 ms budget from fetch() to answer, and still succeeds: the budget counts from sending.
    const config = configFor(appEnv({ GRAPH_TIMEOUT_MS: '400' }));
    const serial = await pool({
      connectionsPerOrigin: 1,
      connectTimeoutMs: 5000,
    });
    const { username, tokens } = await graphTokens(config, serial, entraUrl, 3);
    await addFailure(entraUrl, {
      target: 'graph',
      mode: 'delay',
      delayMs: 150,
      username,
      times: 3,
    });
    const elapsed: number[] = [];
    const results = await Promise.all(
      tokens.map(async (t, i) => {
        const started = performance.now();
        const result = await changePasswordInGraph(config, serial, t, wrongCurrent, `w-${i}`);
        elapsed.push(performance.now() - started);
        return result.ok ? 'ok' : result.failure.code;
      }),
    );
    expect(results).toEqual(['graph_error', 'graph_error', 'graph_error']);
    expect(Math.max(...elapsed)).toBeGreaterThan(420);
  });

  it('a request that waits for a connection longer than twice the budget is refused as server_busy, unsent', async () => {
    const config = configFor(appEnv({ GRAPH_TIMEOUT_MS: '300' }));
    const serial = await pool({
      connectionsPerOrigin: 1,
      connectTimeoutMs: 5000,
    });
    const { username, tokens } = await graphTokens(config, serial, entraUrl, 2);
    await addFailure(entraUrl, { target: 'graph', mode: 'delay', delayMs: 250, username });
    await addFailure(entraUrl, { target: 'graph', mode: 'hang', username });
    await resetStats(entraUrl);
    const first = changePasswordInGraph(config, serial, tokens[0] as string, wrongCurrent, 'q-0');
    const second = changePasswordInGraph(config, serial, tokens[1] as string, wrongCurrent, 'q-1');
    const [a, b] = await Promise.all([first, second]);
    // The first gets its answer at ~250 ms; the second waits, and the connection frees in time.
    expect(a.ok ? 'ok' : a.failure.code).toBe('graph_error');
    expect(b.ok ? 'ok' : b.failure.code).toBe('graph_timeout_change_unknown');
    const third = await pool({
      connectionsPerOrigin: 1,
      connectTimeoutMs: 5000,
    });
    await addFailure(entraUrl, { target: 'graph', mode: 'hang', username });
    // Holds the only connection for its 2 s budget, longer than the other's 600 ms wait bound.
    const patient = configFor(appEnv({ GRAPH_TIMEOUT_MS: '2000' }));
    const hung = changePasswordInGraph(patient, third, tokens[0] as string, wrongCurrent, 'q-2');
    const queued = await changePasswordInGraph(
      config,
      third,
      tokens[1] as string,
      wrongCurrent,
      'q-3',
    );
    expect(queued.ok ? 'ok' : queued.failure.code).toBe('server_busy');
    expect((await hung).ok ? 'ok' : 'timeout').toBe('timeout');
    // q-3 never reached Graph: 2 calls from the first pair, 1 (the hung one) from the second.
    expect((await getStats(entraUrl)).graph).toBe(3);
  });

  it('lets a busy event loop read an answer that came in time before calling it a timeout', async () => {
    const config = configFor(appEnv({ GRAPH_TIMEOUT_MS: '200' }));
    const shared = await pool();
    const { username, tokens } = await graphTokens(config, shared, entraUrl, 1);
    await addFailure(entraUrl, { target: 'graph', mode: 'delay', delayMs: 50, username });
    const pending = changePasswordInGraph(config, shared, tokens[0] as string, wrongCurrent, 'el');
    // Block the loop past the budget: the answer (after ~50 ms) waits in the socket meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // busy
    }
    const result = await pending;
    expect(result.ok ? 'ok' : result.failure.code).toBe('graph_error');
  });
});
