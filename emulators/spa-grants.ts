// What the authorization endpoint hands out and the token endpoint redeems for the SPA:
// authorization codes (single use, 10 minutes), refresh tokens (24 hours, as Entra gives SPAs)
// and browser sessions (the emulator's cookie, for prompt=none).
import { randomBytes } from 'node:crypto';

/** The requested resource, resolved from the scope parameter. */
export interface Resource {
  kind: 'api' | 'graph';
  /** The scopes as the token response lists them (resource scopes only). */
  granted: string[];
  /** The scp claim of the access token. */
  scp: string;
}

/** One sign-in: who, for which client, whether the user did MFA, which auth contexts it met. */
export interface Grant {
  oid: string;
  clientId: string;
  mfa: boolean;
  /** Conditional Access authentication contexts (c1-c99) satisfied: the tokens' acrs claim. */
  acrs: string[];
}

/** True when a sign-in satisfied a step-up: MFA done and every asked-for auth context met. */
export function satisfiesStepUp(grant: Grant, authContexts: string[]): boolean {
  return grant.mfa && authContexts.every((context) => grant.acrs.includes(context));
}

export interface AuthorizationCode extends Grant {
  redirectUri: string;
  codeChallenge: string;
  resource: Resource;
  /** The authorization request's scopes, OIDC ones included. */
  scopes: string[];
  nonce?: string;
}

const CODE_LIFETIME_MS = 10 * 60_000;
export const SPA_REFRESH_TOKEN_LIFETIME_SECONDS = 24 * 3600;
const SESSION_LIFETIME_MS = 24 * 3600_000;
/** Past this many live entries, expired ones are swept before adding another. */
const SWEEP_AT = 500;

type Expiring<T> = T & { expiresAt: number };

const opaque = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

class ExpiringMap<T> {
  private readonly entries = new Map<string, Expiring<T>>();

  add(key: string, value: T, lifetimeMs: number): void {
    if (this.entries.size >= SWEEP_AT) {
      const now = Date.now();
      for (const [k, v] of this.entries) if (v.expiresAt <= now) this.entries.delete(k);
    }
    this.entries.set(key, { ...value, expiresAt: Date.now() + lifetimeMs });
  }

  get(key: string): Expiring<T> | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

export type CodeRedemption =
  | { ok: true; code: AuthorizationCode }
  | { ok: false; reason: 'unknown' | 'redeemed' };

export class SpaGrants {
  private readonly codes = new ExpiringMap<AuthorizationCode & { redeemed: boolean }>();
  private readonly refreshTokens = new ExpiringMap<Grant>();
  private readonly sessions = new ExpiringMap<Grant>();

  issueCode(code: AuthorizationCode): string {
    const value = opaque('1.emu.');
    this.codes.add(value, { ...code, redeemed: false }, CODE_LIFETIME_MS);
    return value;
  }

  /** Codes are single use: a second redemption fails, as with Entra (AADSTS54005). */
  redeemCode(value: string): CodeRedemption {
    const entry = this.codes.get(value);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.redeemed) return { ok: false, reason: 'redeemed' };
    entry.redeemed = true;
    const { redeemed: _redeemed, expiresAt: _expiresAt, ...code } = entry;
    return { ok: true, code };
  }

  issueRefreshToken(grant: Grant): string {
    const value = opaque('1.emu-rt.');
    this.refreshTokens.add(
      value,
      { oid: grant.oid, clientId: grant.clientId, mfa: grant.mfa, acrs: grant.acrs },
      SPA_REFRESH_TOKEN_LIFETIME_SECONDS * 1000,
    );
    return value;
  }

  findRefreshToken(value: string): Grant | undefined {
    return this.refreshTokens.get(value);
  }

  startSession(grant: Grant): string {
    const value = randomBytes(24).toString('base64url');
    this.sessions.add(value, grant, SESSION_LIFETIME_MS);
    return value;
  }

  findSession(value: string | undefined): Grant | undefined {
    return value ? this.sessions.get(value) : undefined;
  }

  endSession(value: string | undefined): void {
    if (value) this.sessions.delete(value);
  }
}
