import { createPublicKey } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AccessConfig } from '../config';
import { TokenError } from './token-error';

export type IdentityProviderConfig = NonNullable<AccessConfig['identityProvider']>;

/**
 * How long a fetched JWKS is trusted before the next token fetches it again (jose's default).
 * Also the longest a key the provider has removed keeps working, unless an unknown `kid`
 * refetches the set sooner.
 */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

/**
 * A token whose `kid` is not in the cached set refetches it (a key rotation), but not within
 * this long of the last successful fetch: made-up kids cost the provider at most one request
 * per node per 10 s, and concurrent ones share that request. The price: a key the provider
 * starts signing with less than 10 s after our last fetch is refused until the 10 s are up.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 10_000;

/** A JWKS endpoint that does not answer fails the handshake after this, instead of hanging it. */
export const JWKS_TIMEOUT_MS = 2_000;

/** Skew allowed between the provider's clock and ours for `exp` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface IdentityProvider {
  /** Whether the token's header (read, not verified) names one of the configured algorithms. */
  accepts(token: string): boolean;
  /** The verified payload; a `TokenError` for anything else. */
  verify(token: string): Promise<JWTPayload>;
}

/**
 * Tokens signed by the team's identity provider, with keys from a JWKS URL or one PEM public
 * key. Only the configured asymmetric algorithms are accepted, so a public key can never be
 * used as an HMAC secret.
 */
export function createIdentityProvider(config: IdentityProviderConfig): IdentityProvider {
  const algorithms = [...config.algorithms];
  const symmetric = algorithms.filter((alg) => /^(hs|none$)/i.test(alg));
  if (algorithms.length === 0 || symmetric.length > 0) {
    throw new Error(`identity provider algorithms must be asymmetric ones: ${algorithms}`);
  }
  const keys = config.jwksUrl
    ? remoteKeys(config.jwksUrl)
    : config.publicKey
      ? pemKeys(config.publicKey, algorithms)
      : undefined;
  if (!keys) throw new Error('identity provider: set a JWKS URL or a PEM public key');
  const options = {
    algorithms,
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp'],
  };

  return {
    accepts: (token) => algorithms.includes(algorithmOf(token) as string),
    async verify(token) {
      try {
        return (await jwtVerify(token, keys, options)).payload;
      } catch (error) {
        throw asTokenError(error);
      }
    },
  };
}

/** Keys cached and refetched by jose; see the constants above for how often. */
function remoteKeys(url: string): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(new URL(url), {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw error;
      if (error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      // Down, slow, not 200, not a key set, or a key in it jose cannot import. A failed fetch
      // starts no cooldown, so the next token asks again (jose keeps one request in flight).
      throw new TokenError(
        'keys_unavailable',
        "could not get the identity provider's keys; try again later",
        { cause: error },
      );
    }
  };
}

/**
 * One PEM key, imported once per configured algorithm it fits (an RSA key serves RS256 and
 * PS256 as different WebCrypto keys); the algorithms it does not fit are remembered as such.
 */
function pemKeys(pem: string, algorithms: string[]): JWTVerifyGetKey {
  // Checked synchronously, so a key that is not a PEM public key (a private key pasted by
  // mistake, say, which importSPKI would refuse) stops the server at start.
  if (!pem.trim().startsWith('-----BEGIN PUBLIC KEY-----')) {
    throw new Error('identity provider: the public key must be PEM (-----BEGIN PUBLIC KEY-----)');
  }
  createPublicKey(pem);
  const imported = new Map(
    algorithms.map((alg) => [alg, importSPKI(pem, alg).catch(() => undefined)] as const),
  );
  return async ({ alg }) => {
    const key = await imported.get(alg as string);
    if (!key) {
      throw new TokenError(
        'bad_signature',
        "invalid token: its algorithm does not fit the identity provider's key",
      );
    }
    return key;
  };
}

/** The header's `alg`, without verifying anything; undefined when there is none to read. */
function algorithmOf(token: string): unknown {
  const end = token.indexOf('.');
  if (end <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString());
    return typeof header === 'object' && header !== null
      ? (header as { alg?: unknown }).alg
      : undefined;
  } catch {
    return undefined;
  }
}

function asTokenError(error: unknown): unknown {
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWTExpired) return new TokenError('expired', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const why = error.reason === 'missing' ? 'is missing' : 'is not accepted';
    return new TokenError('bad_claims', `invalid token claims: ${error.claim} ${why}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError('bad_signature', 'invalid token: signature does not match');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenError(
      'bad_signature',
      'invalid token: no key of the identity provider has its kid',
    );
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenError('bad_signature', 'invalid token: several keys fit it; it needs a kid');
  }
  // jose says TypeError when a key cannot serve the algorithm (say, RSA under 2048 bits).
  if (error instanceof TypeError) {
    const message = "invalid token: the identity provider's key cannot check it";
    return new TokenError('bad_signature', message, { cause: error });
  }
  // JWSInvalid, JWTInvalid, JOSENotSupported (an unknown `crit`), JOSEAlgNotAllowed, …
  if (error instanceof errors.JOSEError) {
    return new TokenError('malformed', 'invalid token: not a valid JWT', { cause: error });
  }
  return error;
}
