import type { X509Certificate } from 'node:crypto';
import type { SigningKeys } from './keys.js';
import type { EmulatorState } from './state.js';

/** Everything the request handlers of both servers share. */
export interface EmulatorContext {
  entraUrl: string;
  graphUrl: string;
  keys: SigningKeys;
  state: EmulatorState;
  /** Certificate credential registered on the API app. */
  apiClientCert: X509Certificate;
  managedIdentityHeader: string;
  /** Aborted by close(): ends latency waits and hung requests. */
  closing: AbortSignal;
}

export const issuerFor = (ctx: EmulatorContext, tenantId: string): string =>
  `${ctx.entraUrl}/${tenantId}/v2.0`;

export const v1IssuerFor = (tenantId: string): string => `https://sts.windows.net/${tenantId}/`;
