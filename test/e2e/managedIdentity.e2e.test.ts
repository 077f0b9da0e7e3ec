// The bundled app (dist/) with the managed identity credential instead of a client secret: the
// lazily loaded @azure/identity chunk must work from dist/ as it will in Azure.
import { describe, expect, it } from 'vitest';
import { getStats, getUser } from '../../emulators/control-client.js';
import { call, e2e, newUser, tokenFor } from './client.js';

describe.runIf(e2e.managedIdentityUrl)('app with MANAGED_IDENTITY_CLIENT_ID + IDENTITY_*', () => {
  it('changes a password, getting its client assertion from the managed identity endpoint', async () => {
    const entraUrl = e2e.entraUrl as string;
    const user = await newUser();
    const reply = await call({
      url: e2e.managedIdentityUrl,
      token: await tokenFor(user.username),
      body: { currentPassword: user.password, newPassword: 'Managed-Passw0rd!' },
    });
    expect({ status: reply.status, body: reply.text }).toEqual({ status: 204, body: '' });
    expect((await getUser(entraUrl, user.username)).password).toBe('Managed-Passw0rd!');
    // The app has no client secret: its client assertion is a managed identity token for the
    // token exchange (fetched once and cached by the credential, whichever test ran first).
    expect((await getStats(entraUrl)).msiTokens['api://AzureADTokenExchange']).toBeGreaterThan(0);
  });
});
