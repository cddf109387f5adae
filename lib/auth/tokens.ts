import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JSONWebKeySet } from 'jose';
import { LRUCache } from 'lru-cache';
import type { ServiceName } from '../services';
import { JwksCache, JwksUnavailableError, type JwksCacheOptions } from './jwks-cache';
import { SIGNING_ALG, type SigningKey } from './keys';

/**
 * Issuer, audience and lifetime of the access tokens the users service gives to people. Short, because
 * signing out or a password change cannot reach back into one: it only stops the refresh token.
 */
export const USER_TOKEN = { issuer: 'commerce/users', audience: 'commerce/api', ttl: '15m' } as const;

/** Claims every token must carry: a token without an expiry (or issuer, audience, subject) is refused outright. */
export const REQUIRED_CLAIMS = ['exp', 'iat', 'iss', 'aud', 'sub'];
/** How long a token one service gives another lasts. */
export const SERVICE_TOKEN_TTL_SECONDS = 60;

/** Issuer, audience and lifetime of the token service `from` presents to service `to`: both sides use this. */
export function serviceTokenOptions(from: ServiceName, to: ServiceName): { issuer: string; audience: string; ttl: string } {
  return { issuer: `commerce/${from}`, audience: `commerce/${to}`, ttl: `${SERVICE_TOKEN_TTL_SECONDS}s` };
}

export async function signToken(
  key: SigningKey,
  claims: JWTPayload & { sub: string },
  options: { issuer: string; audience: string; ttl: string },
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALG, kid: key.publicJwk.kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.ttl)
    .sign(key.privateKey);
}

export type TokenVerifier = (token: string) => Promise<JWTPayload>;

/** Why a token was refused: the caller's fault (`invalid`) or ours (`unavailable`, keys unreachable). */
export class TokenError extends Error {
  constructor(
    readonly reason: 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies tokens against a JWKS: a URL (fetched and kept by a `JwksCache`, which `jwksCache` tunes)
 * or a local key set. A token once verified is remembered until it expires (`rememberVerified`).
 */
export function createTokenVerifier(options: {
  jwks: URL | JSONWebKeySet;
  issuer: string;
  audience: string;
  jwksCache?: Omit<JwksCacheOptions, 'url'>;
}): TokenVerifier {
  const keys =
    options.jwks instanceof URL ? new JwksCache({ ...options.jwksCache, url: options.jwks }).getKey : createLocalJWKSet(options.jwks);
  return rememberVerified(async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [SIGNING_ALG],
        requiredClaims: REQUIRED_CLAIMS,
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new TokenError('invalid', 'The token has expired: sign in again.');
      if (error instanceof JwksUnavailableError || !(error instanceof errors.JOSEError)) {
        throw new TokenError('unavailable', 'Token keys are unreachable right now; try again shortly.');
      }
      throw new TokenError('invalid', 'The token is not valid: sign in again to get a new one.');
    }
  });
}

/** How many verified tokens a verifier remembers (the least recently used are forgotten first). */
export const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * `verify`, remembering each token it accepted until the token's `exp`: a client sends the same
 * token on every request for its lifetime, and each request reaches the router and up to three
 * subgraphs, so this turns a signature check per service per request into one per token. Refusals
 * are not remembered. A token whose signing key is withdrawn from the JWKS is still accepted until
 * it expires (15 minutes for people, 60 s between services); that bound is the tokens' lifetime,
 * as it already is for a signed-out access token.
 */
export function rememberVerified(verify: TokenVerifier, options: { max?: number; now?: () => number } = {}): TokenVerifier {
  const now = options.now ?? Date.now;
  const verified = new LRUCache<string, { claims: JWTPayload; expiresAtMs: number }>({ max: options.max ?? VERIFIED_TOKENS_KEPT });
  return async (token) => {
    const known = verified.get(token);
    if (known && now() < known.expiresAtMs) return known.claims;
    if (known) verified.delete(token);
    const claims = Object.freeze(await verify(token));
    if (typeof claims.exp === 'number') verified.set(token, { claims, expiresAtMs: claims.exp * 1000 });
    return claims;
  };
}
