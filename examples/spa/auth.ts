// Sign-in and tokens with MSAL.js (msal-browser 5): a redirect to sign in, then silent tokens for
// the API; a claims challenge (MFA, Conditional Access) gets a popup with those claims.
import {
  type AccountInfo,
  AuthError,
  BrowserAuthErrorCodes,
  InteractionRequiredAuthError,
  PublicClientApplication,
} from '@azure/msal-browser';
import { config } from './config.js';

// The page itself is the redirect URI; main.ts hands auth responses to MSAL's redirect bridge.
const appUrl = `${window.location.origin}${import.meta.env.BASE_URL}`;

export const msal = new PublicClientApplication({
  auth: {
    clientId: config.clientId,
    authority: config.authority,
    // Trust this host's own metadata: no instance discovery call to login.microsoftonline.com
    // (needed for the emulator; harmless for Entra ID).
    knownAuthorities: [new URL(config.authority).host],
    redirectUri: appUrl,
    postLogoutRedirectUri: appUrl,
    // CP1: this app handles claims challenges, so Entra may send them (and CAE tokens).
    clientCapabilities: ['CP1'],
  },
  cache: { cacheLocation: 'sessionStorage' },
});

const scopes = [config.apiScope];

/** Starts MSAL, completes a sign-in redirect if this load is one; the signed-in account. */
export async function startAuth(): Promise<AccountInfo | null> {
  await msal.initialize();
  const result = await msal.handleRedirectPromise();
  const account = result?.account ?? msal.getAllAccounts()[0] ?? null;
  msal.setActiveAccount(account);
  return account;
}

export function signIn(): Promise<void> {
  return msal.loginRedirect({ scopes, prompt: 'select_account' });
}

export function signOut(): Promise<void> {
  return msal.logoutRedirect({ account: msal.getActiveAccount() });
}

function explain(error: unknown): Error {
  if (error instanceof AuthError) {
    if (
      error.errorCode === BrowserAuthErrorCodes.popupWindowError ||
      error.errorCode === BrowserAuthErrorCodes.emptyWindowError
    ) {
      return new Error('The browser blocked the sign-in window: allow pop-ups for this site.');
    }
    if (error.errorCode === BrowserAuthErrorCodes.userCancelled) {
      return new Error('The sign-in window was closed before signing in.');
    }
    return new Error(`Sign-in failed: ${error.errorCode}.`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * An access token for the API. With `claims` (a decoded claims challenge), straight to an
 * interactive popup that satisfies them: the page, and what the user typed, stay as they are.
 */
export async function getToken(claims?: string): Promise<string> {
  const account = msal.getActiveAccount();
  if (!account) throw new Error('Sign in first.');
  try {
    if (!claims) {
      try {
        return (await msal.acquireTokenSilent({ scopes, account })).accessToken;
      } catch (error) {
        if (!(error instanceof InteractionRequiredAuthError)) throw error;
      }
    }
    return (await msal.acquireTokenPopup({ scopes, account, ...(claims && { claims }) }))
      .accessToken;
  } catch (error) {
    throw explain(error);
  }
}
