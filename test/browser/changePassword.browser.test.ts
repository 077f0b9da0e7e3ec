// examples/spa in Chromium, against the emulated Entra ID, the function app and the emulated
// Graph: sign in with MSAL.js, change the password, and the answers the SPA must handle.
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addFailure, createUser, getUser, mintToken } from '../../emulators/control-client.js';
import {
  browserInfo,
  type LaunchedBrowser,
  launchChromium,
  newContext,
  screenshots,
} from './browser.js';

const { spaUrl, entraUrl, changePasswordUrl } = browserInfo;
const entraOrigin = new URL(entraUrl).origin;

let chromium: LaunchedBrowser;
let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  chromium = await launchChromium();
  browser = chromium.browser;
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});
afterAll(async () => {
  await chromium?.close();
});

async function newUser(options: { mfaRequired?: boolean; displayName?: string | null } = {}) {
  const { displayName = 'Browser Test User', ...rest } = options;
  const user = {
    username: `browser-${randomUUID().slice(0, 8)}@contoso.test`,
    password: `Start-${randomUUID().slice(0, 6)}-Pw1!`,
    ...(displayName !== null && { displayName }),
  };
  await createUser(entraUrl, { ...user, ...rest });
  return user;
}

/** Which SPA and API a test drives: the dev stack's, or the step-up pair (REQUIRED_AUTH_CONTEXT). */
interface Target {
  spaUrl: string;
  changePasswordUrl: string;
}
const devStack: Target = { spaUrl, changePasswordUrl };

/**
 * A new context and the SPA's page; the statuses of its calls to the API are recorded, and every
 * 404 the pages get (a missing favicon, say).
 */
async function openApp(
  target: Target = devStack,
): Promise<{ page: Page; apiStatuses: number[]; notFound: string[] }> {
  context = await newContext(browser);
  const page = await context.newPage();
  const apiStatuses: number[] = [];
  const notFound: string[] = [];
  page.on('response', (response) => {
    if (response.url() === target.changePasswordUrl && response.request().method() === 'POST') {
      apiStatuses.push(response.status());
    }
    if (response.status() === 404) notFound.push(response.url());
  });
  await page.goto(target.spaUrl);
  await page.getByText('Sign in to change your password.').waitFor();
  return { page, apiStatuses, notFound };
}

/** Sign in through the emulator's account picker (MSAL.js loginRedirect). */
async function signIn(
  page: Page,
  user: { username: string; displayName?: string },
  shot: ReturnType<typeof screenshots>,
  target: Target = devStack,
) {
  await shot(page, 'signed-out');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === entraOrigin);
  await page.getByRole('heading', { name: 'Pick an account' }).waitFor();
  await shot(page, 'account-picker');
  await page.getByRole('button', { name: user.username }).click();
  await page.waitForURL((url) => url.href === target.spaUrl);
  const who = user.displayName ? `${user.displayName} (${user.username})` : user.username;
  await page.getByText(`Signed in as ${who}.`, { exact: true }).waitFor();
  await shot(page, 'signed-in');
}

async function fillForm(page: Page, current: string, next: string) {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Confirm new password').fill(next);
}

/** Submits the form; the API's claims challenge opens the step-up popup, answered as `username`. */
async function changeWithStepUp(
  page: Page,
  username: string,
  inPopup: (popup: Page) => Promise<void>,
) {
  const popupOpened = page.context().waitForEvent('page');
  await page.getByRole('button', { name: 'Change password' }).click();
  const popup = await popupOpened;
  await popup.getByRole('heading', { name: 'Verify your identity' }).waitFor();
  await inPopup(popup);
  const popupClosed = popup.waitForEvent('close');
  await popup.getByRole('button', { name: username }).click();
  await popupClosed;
}

async function statusOf(page: Page, kind: 'success' | 'error'): Promise<string> {
  const status = page.locator(`#status.${kind}`);
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

describe('examples/spa in Chromium', () => {
  it('(a) signs in and changes the password', async () => {
    const shot = screenshots('a-change-password');
    const user = await newUser();
    const { page, apiStatuses, notFound } = await openApp();
    await signIn(page, user, shot);
    await fillForm(page, user.password, 'Brand-New-Passw0rd!');
    await shot(page, 'form-filled');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await statusOf(page, 'success')).toBe('Your password has been changed.');
    await shot(page, 'changed');
    expect(apiStatuses).toEqual([204]);
    expect((await getUser(entraUrl, user.username)).password).toBe('Brand-New-Passw0rd!');

    // Sign out: the emulator's end-session endpoint redirects back to the app.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Sign in to change your password.').waitFor();
    // Back at the app, with the end-session redirect's ?state=… taken out of the address bar.
    expect(page.url()).toBe(spaUrl);
    await shot(page, 'signed-out-again');
    // The SPA, the account picker and the sign-out pages: nothing missing, no favicon.ico.
    expect(notFound).toEqual([]);
  });

  it("(b) a wrong current password: a plain sentence, Graph's words in the details", async () => {
    const shot = screenshots('b-wrong-current-password');
    const user = await newUser();
    const { page, apiStatuses } = await openApp();
    await signIn(page, user, shot);
    await fillForm(page, 'Not-The-Passw0rd!', 'Brand-New-Passw0rd!');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await statusOf(page, 'error')).toBe('Your current password is not correct.');
    expect(await page.locator('#current-error').textContent()).toBe(
      'Your current password is not correct.',
    );
    expect(await page.locator('#details').textContent()).toMatch(
      /^Details: HTTP 400 Request_BadRequest "Invalid currentPassword\." \(request-id [0-9a-f-]{36}\)$/,
    );
    await shot(page, 'graph-error');
    expect(apiStatuses).toEqual([400]);
    expect((await getUser(entraUrl, user.username)).passwordChanges).toBe(0);
  });

  it('(c) MFA required by the On-Behalf-Of exchange: claims challenge, popup, one retry', async () => {
    const shot = screenshots('c-mfa-claims-challenge');
    const user = await newUser({ mfaRequired: true });
    const { page, apiStatuses } = await openApp();
    await signIn(page, user, shot);
    await fillForm(page, user.password, 'After-Mfa-Passw0rd!');
    await changeWithStepUp(page, user.username, async (popup) => {
      await shot(popup, 'mfa-popup');
    });
    expect(await statusOf(page, 'success')).toBe('Your password has been changed.');
    await shot(page, 'changed-after-mfa');
    expect(apiStatuses).toEqual([401, 204]);
    const after = await getUser(entraUrl, user.username);
    expect(after).toMatchObject({ password: 'After-Mfa-Passw0rd!', passwordChanges: 1 });
  });

  it('(e) REQUIRED_AUTH_CONTEXT: 401 asking for acrs c1, popup step-up, one retry', async () => {
    const shot = screenshots('e-auth-context-step-up');
    const user = await newUser();
    const { page, apiStatuses } = await openApp(browserInfo.stepUp);
    await signIn(page, user, shot, browserInfo.stepUp);
    await fillForm(page, user.password, 'After-Step-Up-Passw0rd!');
    await changeWithStepUp(page, user.username, async (popup) => {
      // The claims request the API sent, as MSAL.js passes it to the authorize endpoint.
      const claims = JSON.parse(new URL(popup.url()).searchParams.get('claims') ?? '{}');
      expect(claims.access_token?.acrs).toEqual({
        essential: true,
        value: browserInfo.stepUp.authContext,
      });
      await shot(popup, 'step-up-popup');
    });
    expect(await statusOf(page, 'success')).toBe('Your password has been changed.');
    await shot(page, 'changed-after-step-up');
    expect(apiStatuses).toEqual([401, 204]);
    const after = await getUser(entraUrl, user.username);
    expect(after).toMatchObject({ password: 'After-Step-Up-Passw0rd!', passwordChanges: 1 });
  });

  it('Graph throttling: Retry-After shown, the button disabled that long', async () => {
    const shot = screenshots('d-throttled');
    const user = await newUser();
    const { page } = await openApp();
    await signIn(page, user, shot);
    await addFailure(entraUrl, {
      target: 'graph',
      mode: 'throttle',
      username: user.username,
      retryAfterSeconds: 2,
    });
    await fillForm(page, user.password, 'Brand-New-Passw0rd!');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await statusOf(page, 'error')).toBe(
      'Too many attempts for now. Try again in 2 seconds.',
    );
    expect(await page.locator('#details').textContent()).toMatch(
      /^Details: HTTP 429 TooManyRequests "Too many requests\."/,
    );
    const button = page.locator('#submit');
    expect(await button.isDisabled()).toBe(true);
    expect(await button.textContent()).toMatch(/^Change password \(\d s\)$/);
    await shot(page, 'waiting');
    await page.locator('#submit:not([disabled])').waitFor({ timeout: 5000 });
    expect(await button.textContent()).toBe('Change password');
  });

  it('guessing protection: after 10 wrong passwords, the 429 and its wait in minutes', async () => {
    const shot = screenshots('e-too-many-attempts');
    const user = await newUser();
    // Ten wrong guesses with the user's token, straight at the API (MAX_FAILED_ATTEMPTS is 10).
    const token = await mintToken(entraUrl, { username: user.username });
    for (let i = 0; i < 10; i++) {
      const guess = await fetch(changePasswordUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: `Wrong-${i}-Pw1!`, newPassword: 'Never-Pw1!x' }),
      });
      expect(guess.status).toBe(400);
    }
    const { page, apiStatuses } = await openApp();
    await signIn(page, user, shot);
    // Now even the right password is refused, for about an hour.
    await fillForm(page, user.password, 'Blocked-New-Passw0rd!');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await statusOf(page, 'error')).toMatch(
      /^Too many wrong passwords\. For your security, try again in (59|60) minutes\./,
    );
    const button = page.locator('#submit');
    expect(await button.isDisabled()).toBe(true);
    expect(await button.textContent()).toMatch(/^Change password \((59|60) min\)$/);
    await shot(page, 'waiting');
    expect(apiStatuses).toEqual([429]);
    expect((await getUser(entraUrl, user.username)).password).toBe(user.password);
  });

  it('the API unreachable: a network error, no password sent twice', async () => {
    const user = await newUser();
    const { page } = await openApp();
    const shot = screenshots('e-network-failure');
    await signIn(page, user, shot);
    await page.route(changePasswordUrl, (route) => route.abort('connectionrefused'));
    await fillForm(page, user.password, 'Brand-New-Passw0rd!');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await statusOf(page, 'error')).toMatch(/^The service could not be reached\./);
    await shot(page, 'network-error');
    expect((await getUser(entraUrl, user.username)).passwordChanges).toBe(0);
  });

  it('checks the form locally first: mismatched new passwords never reach the API', async () => {
    const user = await newUser();
    const { page, apiStatuses } = await openApp();
    const shot = screenshots('f-local-checks');
    await signIn(page, user, shot);
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password', { exact: true }).fill('Brand-New-Passw0rd!');
    await page.getByLabel('Confirm new password').fill('Brand-New-Passw0rd?');
    await page.getByRole('button', { name: 'Change password' }).click();
    const confirm = page.getByLabel('Confirm new password');
    expect(await confirm.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#confirm-error').textContent()).toBe(
      'The two new passwords do not match.',
    );
    // The error text is the input's description.
    expect(await confirm.getAttribute('aria-describedby')).toBe('confirm-error');
    expect(apiStatuses).toEqual([]);
    await shot(page, 'mismatch');
    // Focused, the field keeps its red border: the focus ring sits outside it.
    await confirm.focus();
    type Css = { borderTopColor: string; borderTopWidth: string; outlineOffset: string };
    const style = await confirm.evaluate((input) => {
      // Runs in the page (this project's tsconfig has no DOM types).
      const css = (globalThis as unknown as { getComputedStyle(e: unknown): Css }).getComputedStyle(
        input,
      );
      return { border: css.borderTopColor, width: css.borderTopWidth, offset: css.outlineOffset };
    });
    expect(style).toEqual({ border: 'rgb(164, 38, 44)', width: '2px', offset: '2px' });
    await shot(page, 'mismatch-focused');
  });

  it('a user without a display name: the address once, in the account picker and the header', async () => {
    const shot = screenshots('g-no-display-name');
    const user = await newUser({ displayName: null });
    const { page } = await openApp();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Pick an account' }).waitFor();
    const account = page.getByRole('button', { name: user.username, exact: true });
    expect(await account.textContent()).toBe(user.username);
    await shot(page, 'account-picker');
    await account.click();
    await page.waitForURL((url) => url.href === spaUrl);
    await page.getByText(`Signed in as ${user.username}.`, { exact: true }).waitFor();
    await shot(page, 'signed-in');
  });
});
