// What the page says for an answer: a plain sentence for the person, and a "details" line with
// the service's own words and ids for whoever they ask for help. No DOM here (tested in Node).

/** An error answer of the API (its own, or Graph's relayed as is). */
export interface ErrorAnswer {
  status: number;
  code: string;
  /** The service's message, e.g. Graph's "Invalid currentPassword.". */
  message: string;
  /** Graph's request-id (header or innerError), when there is one. */
  requestId?: string;
}

export interface Shown {
  text: string;
  /** "Details: …", the service's words for support; absent when there is nothing to add. */
  details?: string;
  /** The field the answer is about, for its error text. */
  field?: 'currentPassword' | 'newPassword';
}

const WRONG_CURRENT = /\bcurrentPassword\b|current password/i;
// Graph's words for a new password the tenant refuses: complexity, length, banned (Entra
// password protection), history.
const REFUSED_NEW =
  /complexity|password requirements|password policy|banned|too (?:short|common|weak)|history|recently used|previously used/i;

export function details(answer: ErrorAnswer): string {
  const ids = answer.requestId ? ` (request-id ${answer.requestId})` : '';
  return `Details: HTTP ${answer.status} ${answer.code} "${answer.message}"${ids}`;
}

/** The sentence for an error that is not a "wait". */
export function describeError(answer: ErrorAnswer): Shown {
  const more = details(answer);
  const { status, code, message } = answer;
  if (status === 400 && code === 'Request_BadRequest' && WRONG_CURRENT.test(message)) {
    return {
      text: 'Your current password is not correct.',
      details: more,
      field: 'currentPassword',
    };
  }
  if (status === 400 && REFUSED_NEW.test(message)) {
    return {
      text: "Choose another new password: this one does not meet your organization's password rules (it may be too short, too simple, too common, or one you used before).",
      details: more,
      field: 'newPassword',
    };
  }
  if (code === 'invalid_token' || code === 'missing_token' || code === 'interaction_required') {
    return { text: 'Your sign-in has expired. Sign out, sign in again and retry.', details: more };
  }
  if (code === 'consent_required') {
    return {
      text: 'This app may not change passwords in your organization yet: an administrator has to grant it consent.',
      details: more,
    };
  }
  if (code === 'graph_unreachable') {
    return {
      text: 'The password service could not be reached; your password was not changed. Try again later.',
      details: more,
    };
  }
  return { text: 'Your password could not be changed.', details: more };
}

/** "2 seconds", "58 minutes", "24 hours": a wait as people say it, rounded up. */
export function waitText(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 120) return plural(seconds, 'second');
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return plural(minutes, 'minute');
  return plural(Math.ceil(minutes / 60), 'hour');
}

/** The countdown on the disabled button: 42 s, or 58 min for a long wait. */
export function countdownText(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/**
 * The sentence for a 429 or 503: how long to wait. This API's `too_many_attempts` (its guessing
 * protection: the user's failed-attempt budget is spent) can mean up to an hour.
 */
export function describeWait(answer: ErrorAnswer, seconds: number): Shown {
  const wait = waitText(seconds);
  const text =
    answer.code === 'too_many_attempts'
      ? `Too many wrong passwords. For your security, try again in ${wait}.`
      : answer.status === 429
        ? `Too many attempts for now. Try again in ${wait}.`
        : `The service is busy. Try again in ${wait}.`;
  return { text, details: details(answer) };
}
