import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies an HS256 JWT (RFC 7519 over RFC 7515's compact form) and answers its payload. Parley
 * accepts exactly one algorithm with one shared secret, so the check is small enough to do
 * directly with Node's synchronous HMAC: ≈ 4 µs per token, where jose's WebCrypto path costs
 * ≈ 55 µs and was a quarter of a join storm's CPU (see docs/benchmarks.md). jose still signs.
 *
 * Strict where it matters: the header must say `alg: "HS256"` and carry no `crit`; the
 * signature must be the exact base64url of the HMAC (compared in constant time), so no other
 * spelling of it passes; `exp` is required (a token lives for a bounded time) and, like `nbf`
 * and `iat`, must be a number; `exp` and `nbf` are checked against the clock, as jose does.
 * Only after the signature holds is the payload looked at.
 */
export type Hs256Problem = 'malformed' | 'bad_signature' | 'expired' | 'bad_claims';

export class Hs256Error extends Error {
  constructor(
    readonly problem: Hs256Problem,
    message: string,
  ) {
    super(message);
    this.name = 'Hs256Error';
  }
}

export function verifyHs256(
  token: string,
  secret: Uint8Array,
  nowSeconds = Date.now() / 1000,
): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw malformed();
  const [header, payload, signature] = parts as [string, string, string];
  if (!parts.every((part) => BASE64URL.test(part))) throw malformed();

  const protectedHeader = decodeSegment(header);
  if (protectedHeader.alg !== 'HS256' || protectedHeader.crit !== undefined) throw malformed();

  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    throw new Hs256Error('bad_signature', 'invalid token: signature does not match');
  }

  const claims = decodeSegment(payload);
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    if (claims[name] !== undefined && typeof claims[name] !== 'number') throw badClaim(name);
  }
  if (claims.exp === undefined) throw badClaim('exp');
  if ((claims.exp as number) <= nowSeconds) throw new Hs256Error('expired', 'token expired');
  if (claims.nbf !== undefined && (claims.nbf as number) > nowSeconds) throw badClaim('nbf');
  return claims;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** One base64url segment holding a JSON object. */
function decodeSegment(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed();
  return value as Record<string, unknown>;
}

function malformed(): Hs256Error {
  return new Hs256Error('malformed', 'invalid token: not a valid HS256 JWT');
}

function badClaim(name: string): Hs256Error {
  return new Hs256Error('bad_claims', `invalid token claims: ${name}`);
}
