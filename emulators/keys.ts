import { generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  type JSONWebKeySet,
  type JWTPayload,
  SignJWT,
} from 'jose';

export type SigningAlg = 'RS256' | 'PS256' | 'RS384';

export interface SigningKeys {
  kid: string;
  /** Public JWKS as served on /discovery/v2.0/keys. */
  jwks: JSONWebKeySet;
  /** Key resolver for jose's jwtVerify. */
  keySet: ReturnType<typeof createLocalJWKSet>;
  sign(payload: JWTPayload, alg?: SigningAlg): Promise<string>;
}

// A Node KeyObject (not a WebCrypto key bound to one algorithm) lets tests ask for
// PS256/RS384 signatures from the same key and kid, to exercise algorithm checks.
const generateRsa = promisify(generateNodeKeyPair);

export async function createSigningKeys(): Promise<SigningKeys> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] };
  return {
    kid,
    jwks,
    keySet: createLocalJWKSet(jwks),
    sign: (payload, alg = 'RS256') => signWith(privateKey, kid, payload, alg),
  };
}

function signWith(key: KeyObject, kid: string, payload: JWTPayload, alg: SigningAlg) {
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', alg, kid }).sign(key);
}
