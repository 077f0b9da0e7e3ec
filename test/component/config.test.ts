import { describe, expect, it } from 'vitest';
import { call, newHandler } from './harness.js';

describe('a missing or malformed setting', () => {
  it('is logged once, naming the setting, and every request gets a JSON 500 revealing nothing', async () => {
    const handler = newHandler({ AZURE_CLIENT_ID: 'not-a-guid' });
    const replies = [
      await call(handler),
      await call(handler),
      await call(handler, { method: 'OPTIONS' }),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(500);
      expect(reply.json?.error?.code).toBe('server_misconfigured');
      expect(reply.body).not.toContain('AZURE_CLIENT_ID');
      expect(reply.body).not.toContain('not-a-guid');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const logged = replies.flatMap((r) => r.logs);
    const configErrors = logged.filter((line) => line.includes('configuration error'));
    expect(configErrors).toHaveLength(1);
    expect(configErrors[0]).toContain('setting=AZURE_CLIENT_ID');
    expect(configErrors[0]).toContain(`invocationId=${replies[0]?.invocationId}`);
    // Every attempt still gets its outcome line (and span), saying nothing of the value.
    for (const reply of replies) {
      expect(
        reply.logs.filter((line) => line.includes('outcome=server_misconfigured')),
      ).toHaveLength(1);
    }
    expect(logged.join('\n')).not.toContain('not-a-guid');
  });

  it('never echoes a secret-bearing setting', async () => {
    const handler = newHandler({ MANAGED_IDENTITY_CLIENT_ID: 'also-set' });
    const reply = await call(handler);
    expect(reply.status).toBe(500);
    expect(reply.logs.join('\n')).not.toMatch(/emu8Q|also-set/);
  });
});
