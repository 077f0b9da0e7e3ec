// The page: account bar, change-password form with local checks, status messages, and the
// Retry-After countdown. Field errors are tied to their inputs (aria-describedby +
// aria-invalid); outcomes go to one polite live region.
import type { Outcome, Passwords } from './api.js';
import { countdownText, describeError, describeWait } from './messages.js';

const MAX_LENGTH = 256;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

const fields = {
  currentPassword: { input: 'current', error: 'current-error' },
  newPassword: { input: 'new', error: 'new-error' },
  confirmPassword: { input: 'confirm', error: 'confirm-error' },
} as const;
type Field = keyof typeof fields;

function setFieldError(field: Field, message: string): void {
  const input = element<HTMLInputElement>(fields[field].input);
  element(fields[field].error).textContent = message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** Local checks: required, at most 256 characters, typed twice the same, actually new. */
function check(values: Record<Field, string>): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  if (!values.currentPassword) errors.currentPassword = 'Enter your current password.';
  if (!values.newPassword) errors.newPassword = 'Enter a new password.';
  else if (values.newPassword.length > MAX_LENGTH)
    errors.newPassword = `Use at most ${MAX_LENGTH} characters.`;
  else if (values.newPassword === values.currentPassword)
    errors.newPassword = 'The new password must differ from the current one.';
  if (!errors.newPassword && values.confirmPassword !== values.newPassword)
    errors.confirmPassword = 'The two new passwords do not match.';
  if (values.currentPassword.length > MAX_LENGTH)
    errors.currentPassword = `Use at most ${MAX_LENGTH} characters.`;
  return errors;
}

/** The status line, and under it the details line for support (empty unless given). */
export function setStatus(kind: 'info' | 'success' | 'error', message: string, details = ''): void {
  const status = element('status');
  status.className = kind;
  status.textContent = message;
  element('details').textContent = details;
}

export function showAccount(
  account: { username: string; name?: string } | null,
  actions: { signIn: () => void; signOut: () => void },
): void {
  // A user without a display name has their address as `name` too: show it once.
  const name = account?.name && account.name !== account.username ? account.name : undefined;
  element('who').textContent = account
    ? `Signed in as ${name ? `${name} (${account.username})` : account.username}.`
    : 'Sign in to change your password.';
  const signIn = element<HTMLButtonElement>('sign-in');
  const signOut = element<HTMLButtonElement>('sign-out');
  signIn.hidden = account !== null;
  signOut.hidden = account === null;
  element('change-password').hidden = account === null;
  element<HTMLInputElement>('username').value = account?.username ?? '';
  signIn.onclick = actions.signIn;
  signOut.onclick = actions.signOut;
}

let countdown: ReturnType<typeof setInterval> | undefined;

/** Disables the button for `seconds`, counting down on it; the status says why, once. */
function waitBeforeRetry(button: HTMLButtonElement, seconds: number): void {
  const label = button.dataset.label ?? button.textContent ?? '';
  button.dataset.label = label;
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      clearInterval(countdown);
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = `${label} (${countdownText(left)})`;
    left--;
  };
  clearInterval(countdown);
  tick();
  countdown = setInterval(tick, 1000);
}

function show(outcome: Outcome, form: HTMLFormElement, button: HTMLButtonElement): void {
  switch (outcome.kind) {
    case 'changed':
      form.reset();
      setStatus('success', 'Your password has been changed.');
      return;
    case 'wait': {
      const shown = describeWait(outcome, outcome.seconds);
      setStatus('error', shown.text, shown.details);
      waitBeforeRetry(button, outcome.seconds);
      return;
    }
    case 'error': {
      const shown = describeError(outcome);
      const field =
        shown.field ??
        (outcome.target === 'currentPassword' || outcome.target === 'newPassword'
          ? outcome.target
          : undefined);
      if (field) setFieldError(field, shown.text);
      setStatus('error', shown.text, shown.details);
      return;
    }
    case 'maybe-changed':
      form.reset();
      setStatus(
        'error',
        'We could not confirm the change: your password may have changed. Sign out and sign in with the new password to check before trying again.',
      );
      return;
    case 'network':
      setStatus(
        'error',
        'The service could not be reached. Check your connection and try again; if unsure whether the password changed, sign in with the new one.',
      );
      return;
    case 'sign-in':
      setStatus('error', outcome.message);
      return;
  }
}

/** Wires the form: local checks first, then `submit`, then its outcome on the page. */
export function bindForm(submit: (passwords: Passwords) => Promise<Outcome>): void {
  const form = element<HTMLFormElement>('change-password');
  const button = element<HTMLButtonElement>('submit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = {
      currentPassword: element<HTMLInputElement>(fields.currentPassword.input).value,
      newPassword: element<HTMLInputElement>(fields.newPassword.input).value,
      confirmPassword: element<HTMLInputElement>(fields.confirmPassword.input).value,
    };
    const errors = check(values);
    for (const field of Object.keys(fields) as Field[]) setFieldError(field, errors[field] ?? '');
    const firstInvalid = (Object.keys(fields) as Field[]).find((field) => errors[field]);
    if (firstInvalid) {
      setStatus('error', 'Check the highlighted fields.');
      element(fields[firstInvalid].input).focus();
      return;
    }
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    setStatus('info', 'Changing your password…');
    let outcome: Outcome;
    try {
      outcome = await submit({
        currentPassword: values.currentPassword,
        newPassword: values.newPassword,
      });
    } catch (error) {
      outcome = {
        kind: 'sign-in',
        message: error instanceof Error ? error.message : String(error),
      };
    }
    form.removeAttribute('aria-busy');
    button.disabled = false;
    show(outcome, form, button);
  });
}
