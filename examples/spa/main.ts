// Entry point. A load that carries an authorization response (code or error, with state) is MSAL's
// redirect bridge (msal-browser 5): it hands the response to the window that asked for it (popup)
// or back to the app (redirect). Any other load is the app.
import { changePassword } from './api.js';
import { getToken, signIn, signOut, startAuth } from './auth.js';
import { config } from './config.js';
import { bindForm, setStatus, showAccount } from './form.js';

function isAuthResponse(): boolean {
  const params = new URLSearchParams(window.location.hash.slice(1) || window.location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

async function startApp(): Promise<void> {
  const actions = {
    signIn: () => void signIn().catch(failed),
    signOut: () => void signOut().catch(failed),
  };
  let account: Awaited<ReturnType<typeof startAuth>> = null;
  try {
    account = await startAuth();
  } catch (error) {
    failed(error);
  }
  // Back from sign-out, Entra (and the emulator) append ?state=… to the post-logout URI: nothing
  // reads it, so take it out of the address bar.
  const params = new URLSearchParams(window.location.search);
  if (params.has('state')) {
    params.delete('state');
    const query = params.toString();
    window.history.replaceState(
      null,
      '',
      `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`,
    );
  }
  showAccount(account, actions);
  bindForm((passwords) =>
    changePassword(passwords, {
      url: config.apiUrl,
      getToken,
      clientRequestId: crypto.randomUUID(),
    }),
  );
}

function failed(error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  setStatus(
    'error',
    `Sign-in is unavailable (${text}). Is ${config.authority} reachable? With the emulators, open ${new URL(config.authority).origin}/ once in this browser to accept its certificate.`,
  );
}

if (isAuthResponse()) {
  void import('@azure/msal-browser/redirect-bridge').then(({ broadcastResponseToMainFrame }) =>
    broadcastResponseToMainFrame(),
  );
} else {
  startApp().catch(failed);
}
