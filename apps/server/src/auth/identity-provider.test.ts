import { createHmac, webcrypto } from 'node:crypto';
import { isWellFormed } from '@parley/protocol';
import fc from 'fast-check';
import { exportPKCS8, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  idpToken,
  type JwksServer,
  type SigningKey,
  signingKey,
  startJwksServer,
} from '../../test/jwks';
import {
  CLOCK_TOLERANCE_SECONDS,
  type IdentityProviderConfig,
  JWKS_CACHE_MAX_AGE_MS,
  JWKS_REFETCH_COOLDOWN_MS,
  JWKS_TIMEOUT_MS,
} from './identity-provider';
import { createTokenService, TokenError } from './tokens';

const SECRET = 'token-test-secret-that-is-long-enough!!';
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

let rsa: SigningKey;
let ec: SigningKey;
let ed: SigningKey;
let rotated: SigningKey;
beforeAll(async () => {
  [rsa, ec, ed, rotated] = await Promise.all([
    signingKey('RS256', 'rsa-1'),
    signingKey('ES256', 'ec-1'),
    signingKey('EdDSA', 'ed-1'),
    signingKey('RS256', 'rsa-2'),
  ]);
});

let jwks: JwksServer;
beforeEach(async () => {
  jwks = await startJwksServer([rsa, ec, ed]);
});
afterEach(async () => {
  vi.useRealTimers();
  await jwks.close();
});

function service(provider: Partial<IdentityProviderConfig> = {}, maxTtlSeconds?: number) {
  return createTokenService(SECRET, {
    maxTtlSeconds,
    identityProvider: { jwksUrl: jwks.url, algorithms: ALGORITHMS, ...provider },
  });
}

/** The refusal's problem; a refusal that is not a TokenError fails the test. */
async function problemOf(verifying: Promise<unknown>): Promise<string | undefined> {
  try {
    await verifying;
    return undefined;
  } catch (error) {
    if (error instanceof TokenError) return error.problem;
    throw error;
  }
}

async function messageOf(verifying: Promise<unknown>): Promise<string> {
  return verifying.then(
    () => 'accepted',
    (error: Error) => error.message,
  );
}

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Only Date is faked: sockets, fetch and jose's fetch timeout run on real timers. */
function freezeClock() {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
}
function advanceClock(ms: number) {
  vi.setSystemTime(Date.now() + ms);
}

describe('tokens signed by the identity provider, keys from a JWKS URL', () => {
  it('accepts RS256, ES256 and EdDSA tokens with the identity HS256 tokens give, on one fetch', async () => {
    const tokens = service();
    for (const key of [rsa, ec, ed]) {
      const identity = await tokens.verify(
        await idpToken(key, { sub: `crm-${key.alg}`, ws: ['acme'], rooms: ['support-*'] }),
      );
      expect(identity).toMatchObject({
        user: { id: `crm-${key.alg}`, name: 'Ida' },
        workspaces: ['acme'],
        guest: false,
        admin: false,
        rooms: ['support-*'],
      });
    }
    expect(jwks.requests).toBe(1);
  });

  it('holds them to the same claims and maxTtlSeconds as HS256 tokens', async () => {
    const tokens = service({}, 3600);
    expect(await messageOf(tokens.verify(await idpToken(rsa, { name: undefined })))).toBe(
      'invalid token claims: name',
    );
    expect(await problemOf(tokens.verify(await idpToken(rsa, { ws: [] })))).toBe('bad_claims');
    expect(await messageOf(tokens.verify(await idpToken(rsa, { exp: undefined })))).toBe(
      'invalid token claims: exp is missing',
    );
    expect(await messageOf(tokens.verify(await idpToken(rsa, { exp: now() + 7200 })))).toBe(
      'invalid token claims: exp is more than 3600 s away',
    );
    expect(await problemOf(tokens.verify(await idpToken(rsa, { admin: true })))).toBeUndefined();
  });

  it(`refuses an expired token as expired, allowing ${CLOCK_TOLERANCE_SECONDS} s of clock skew`, async () => {
    freezeClock();
    const tokens = service();
    const skewed = await idpToken(ec, { exp: now() - CLOCK_TOLERANCE_SECONDS + 1 });
    expect(await problemOf(tokens.verify(skewed))).toBeUndefined();
    const expired = await idpToken(ec, { exp: now() - CLOCK_TOLERANCE_SECONDS });
    expect(await messageOf(tokens.verify(expired))).toBe('token expired');
    expect(await problemOf(tokens.verify(expired))).toBe('expired');
    const early = await idpToken(ec, { nbf: now() + CLOCK_TOLERANCE_SECONDS + 1 });
    expect(await messageOf(tokens.verify(early))).toBe('invalid token claims: nbf is not accepted');
  });

  it('keeps HS256 tokens on the shared secret, and never asks the JWKS about them', async () => {
    const tokens = service();
    const { token, identity } = await tokens.issue({ sub: 'u1', name: 'Ana', ttlSeconds: 60 });
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
    });
    expect(await tokens.verify(token)).toEqual(identity);
    const otherSecret = await new SignJWT({ sub: 'u1', name: 'Ana', ws: '*' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough!!'));
    expect(await problemOf(tokens.verify(otherSecret))).toBe('bad_signature');
    const withCrit = `${segment({ alg: 'HS256', crit: ['exp'] })}.${segment({ exp: now() + 60 })}.x`;
    expect(await problemOf(tokens.verify(withCrit))).toBe('malformed');
    expect(jwks.requests).toBe(0);
  });

  it('without an identity provider, refuses any algorithm but HS256 as malformed, as before', async () => {
    const tokens = createTokenService(SECRET);
    for (const key of [rsa, ec, ed]) {
      expect(await problemOf(tokens.verify(await idpToken(key)))).toBe('malformed');
    }
  });
});

describe('issuer and audience', () => {
  const provider = { issuer: 'https://idp.example', audience: 'parley' };

  it('accepts the configured iss and aud (aud alone or in a list), and refuses others', async () => {
    const tokens = service(provider);
    const good = { iss: 'https://idp.example', aud: 'parley' };
    expect(await problemOf(tokens.verify(await idpToken(rsa, good)))).toBeUndefined();
    const listed = { ...good, aud: ['crm', 'parley'] };
    expect(await problemOf(tokens.verify(await idpToken(rsa, listed)))).toBeUndefined();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, iss: 'https://evil.example' }, 'invalid token claims: iss is not accepted'],
      [{ ...good, iss: undefined }, 'invalid token claims: iss is missing'],
      [{ ...good, aud: 'crm' }, 'invalid token claims: aud is not accepted'],
      [{ ...good, aud: ['crm'] }, 'invalid token claims: aud is not accepted'],
      [{ ...good, aud: undefined }, 'invalid token claims: aud is missing'],
    ];
    for (const [claims, message] of cases) {
      const refusal = await tokens.verify(await idpToken(rsa, claims)).catch((error) => error);
      expect(refusal).toBeInstanceOf(TokenError);
      expect(refusal).toMatchObject({ problem: 'bad_claims', message });
    }
  });

  it('checks neither when none is configured', async () => {
    const claims = { iss: 'https://anyone.example', aud: 'anything' };
    expect(await problemOf(service().verify(await idpToken(ed, claims)))).toBeUndefined();
  });
});

describe('algorithm confusion', () => {
  it("refuses an HS256 token whose secret is the provider's public key (PEM or JWK)", async () => {
    for (const tokens of [service(), service({ jwksUrl: undefined, publicKey: rsa.pem })]) {
      for (const secret of [rsa.pem, JSON.stringify(rsa.jwk)]) {
        const forged = await new SignJWT({ sub: 'u1', name: 'Mallory', ws: '*' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(secret));
        expect(await problemOf(tokens.verify(forged))).toBe('bad_signature');
      }
    }
    expect(jwks.requests).toBe(0);
  });

  it('refuses alg none, signed or not, without fetching keys', async () => {
    const tokens = service();
    const body = `${segment({ alg: 'none' })}.${segment({ sub: 'u1', name: 'M', ws: '*', exp: now() + 60 })}`;
    expect(await problemOf(tokens.verify(`${body}.`))).toBe('malformed');
    const hmac = createHmac('sha256', SECRET).update(body).digest('base64url');
    expect(await problemOf(tokens.verify(`${body}.${hmac}`))).toBe('malformed');
    expect(jwks.requests).toBe(0);
  });

  it('refuses an algorithm that is not configured, though its key is in the JWKS', async () => {
    const tokens = service({ algorithms: ['ES256'] });
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBe('malformed');
    expect(await problemOf(tokens.verify(await idpToken(ec)))).toBeUndefined();
  });

  it("refuses a token whose alg does not fit the key its kid names, or with a kid that isn't one", async () => {
    const tokens = service();
    const lying = await idpToken(ec, {}, { kid: rsa.kid });
    expect(await problemOf(tokens.verify(lying))).toBe('bad_signature');
    const signedByAnother = await idpToken(rotated, {}, { kid: rsa.kid });
    expect(await messageOf(tokens.verify(signedByAnother))).toBe(
      'invalid token: signature does not match',
    );
  });

  it('will not be configured with a shared-secret algorithm', () => {
    expect(() => service({ algorithms: ['RS256', 'HS256'] })).toThrow(/asymmetric/);
    expect(() => service({ algorithms: ['none'] })).toThrow(/asymmetric/);
  });
});

describe('key rotation and the JWKS cache', () => {
  it('accepts a new kid after exactly one refetch, once the cooldown since the last fetch is over', async () => {
    freezeClock();
    const tokens = service();
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBeUndefined();
    expect(jwks.requests).toBe(1);
    jwks.publish([rsa, rotated]);
    // What jose does: within the cooldown an unknown kid is refused without asking again.
    advanceClock(JWKS_REFETCH_COOLDOWN_MS - 1);
    expect(await problemOf(tokens.verify(await idpToken(rotated)))).toBe('bad_signature');
    expect(jwks.requests).toBe(1);
    advanceClock(1);
    expect(await problemOf(tokens.verify(await idpToken(rotated)))).toBeUndefined();
    expect(jwks.requests).toBe(2);
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBeUndefined();
    expect(await problemOf(tokens.verify(await idpToken(rotated)))).toBeUndefined();
    expect(jwks.requests).toBe(2);
  });

  it('answers many unknown kids, at once or in a row, with one fetch per cooldown, not one per token', async () => {
    freezeClock();
    const tokens = service();
    const unknown = (i: number) => idpToken(rsa, {}, { kid: `made-up-${i}` });
    const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => unknown(i)));
    // Cold: 50 at once share the first fetch, and the cooldown starts with it.
    const cold = await Promise.all(batch.map((token) => problemOf(tokens.verify(token))));
    expect(new Set(cold)).toEqual(new Set(['bad_signature']));
    expect(jwks.requests).toBe(1);
    for (const token of batch) await problemOf(tokens.verify(token));
    expect(jwks.requests).toBe(1);

    advanceClock(JWKS_REFETCH_COOLDOWN_MS);
    await Promise.all(batch.map((token) => problemOf(tokens.verify(token))));
    expect(jwks.requests).toBe(2);
    for (const token of batch) await problemOf(tokens.verify(token));
    expect(jwks.requests).toBe(2);
  });

  it('stops accepting a key removed from the JWKS once an unknown kid has refetched the set', async () => {
    freezeClock();
    const tokens = service();
    const old = await idpToken(rsa);
    expect(await problemOf(tokens.verify(old))).toBeUndefined();
    jwks.publish([ec, ed, rotated]);
    // Cached: still accepted until the set is fetched again.
    expect(await problemOf(tokens.verify(old))).toBeUndefined();
    advanceClock(JWKS_REFETCH_COOLDOWN_MS);
    expect(await problemOf(tokens.verify(await idpToken(rotated)))).toBeUndefined();
    expect(jwks.requests).toBe(2);
    expect(await messageOf(tokens.verify(old))).toBe(
      'invalid token: no key of the identity provider has its kid',
    );
    expect(jwks.requests).toBe(2);
  });

  it(`fetches the set again after ${JWKS_CACHE_MAX_AGE_MS / 60_000} minutes, even for known kids`, async () => {
    freezeClock();
    const tokens = service();
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBeUndefined();
    jwks.publish([ec]);
    advanceClock(JWKS_CACHE_MAX_AGE_MS - 1);
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBeUndefined();
    expect(jwks.requests).toBe(1);
    advanceClock(1);
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBe('bad_signature');
    expect(jwks.requests).toBe(2);
  });
});

describe('a JWKS endpoint that is down or broken', () => {
  it(`fails the token as keys_unavailable after ${JWKS_TIMEOUT_MS} ms when nothing answers`, async () => {
    jwks.hang();
    const tokens = service();
    const started = performance.now();
    const verifying = tokens.verify(await idpToken(rsa));
    expect(await messageOf(verifying)).toBe(
      "could not get the identity provider's keys; try again later",
    );
    expect(await problemOf(verifying)).toBe('keys_unavailable');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(JWKS_TIMEOUT_MS - 50);
    // Given up at the timeout, not left waiting: twice the timeout leaves room for a loaded
    // machine (a verification that never gave up would hit the test's own timeout instead).
    expect(elapsed).toBeLessThan(2 * JWKS_TIMEOUT_MS);
    // HS256 does not wait on the provider.
    const { token } = await tokens.issue({ name: 'Ana', ttlSeconds: 60 });
    expect(await problemOf(tokens.verify(token))).toBeUndefined();
  });

  it('fails as keys_unavailable when the endpoint refuses connections, errs or serves no key set, and recovers', async () => {
    const tokens = service();
    const token = await idpToken(rsa);
    for (const [status, body] of [
      [500, '{"keys":[]}'],
      [200, 'not json'],
      [200, '{"keys":5}'],
    ] as const) {
      jwks.respond(status, body);
      expect(await problemOf(tokens.verify(token))).toBe('keys_unavailable');
    }
    // No set was ever fetched, so nothing cools down: the next token asks again.
    jwks.publish([rsa]);
    expect(await problemOf(tokens.verify(token))).toBeUndefined();

    const closed = service({ jwksUrl: jwks.url });
    await jwks.close();
    expect(await problemOf(closed.verify(token))).toBe('keys_unavailable');
    jwks = await startJwksServer();
  });
});

describe('one PEM public key instead of a JWKS', () => {
  it('verifies each algorithm with its PEM key, with or without a kid', async () => {
    for (const key of [rsa, ec, ed]) {
      const tokens = service({ jwksUrl: undefined, publicKey: key.pem, algorithms: [key.alg] });
      expect(await problemOf(tokens.verify(await idpToken(key)))).toBeUndefined();
      expect(
        await problemOf(tokens.verify(await idpToken(key, {}, { kid: null }))),
      ).toBeUndefined();
    }
    expect(jwks.requests).toBe(0);
  });

  it('refuses tokens of another key, or of a configured algorithm the key does not fit', async () => {
    const tokens = service({ jwksUrl: undefined, publicKey: rsa.pem });
    expect(await problemOf(tokens.verify(await idpToken(rotated)))).toBe('bad_signature');
    expect(await messageOf(tokens.verify(await idpToken(ec)))).toBe(
      "invalid token: its algorithm does not fit the identity provider's key",
    );
    expect(await problemOf(tokens.verify(await idpToken(rsa)))).toBeUndefined();
  });

  it('will not be built with a PEM that is not a public key', async () => {
    const privatePem = await exportPKCS8(rsa.privateKey);
    const garbled = '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n';
    for (const publicKey of ['not a key', privatePem, garbled]) {
      expect(() => service({ jwksUrl: undefined, publicKey })).toThrow();
    }
  });
});

describe('any token at all', () => {
  it('answers a well-formed identity or a TokenError, whatever the header, payload and signature', async () => {
    const tokens = service({ issuer: 'https://idp.example' });
    const now = Math.floor(Date.now() / 1000);
    const json = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map(segment);
    const raw = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
    );
    const header = fc.oneof(
      { weight: 2, arbitrary: fc.constant(segment({ alg: 'RS256', kid: rsa.kid })) },
      json(
        fc.record(
          {
            alg: fc.oneof(
              fc.constantFrom('RS256', 'ES256', 'EdDSA', 'HS256', 'none', 'RS384', 'PS256'),
              fc.jsonValue({ maxDepth: 1 }),
            ),
            kid: fc.oneof(
              fc.constantFrom(rsa.kid, ec.kid, 'made-up'),
              fc.jsonValue({ maxDepth: 1 }),
            ),
            typ: fc.constantFrom('JWT', 'at+jwt', 5),
            crit: fc.oneof(fc.constant(['b64']), fc.array(fc.string(), { maxLength: 2 })),
            b64: fc.boolean(),
            jwk: fc.oneof(fc.constant(rsa.jwk), fc.jsonValue({ maxDepth: 2 })),
          },
          { requiredKeys: ['alg'] },
        ),
      ),
      json(fc.jsonValue({ maxDepth: 2 })),
      raw,
    );
    // Mostly good claims, each sometimes wrong or missing, so some tokens pass every check.
    const mostly = <T>(good: T, bad: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 8, arbitrary: fc.constant(good) }, bad, fc.constant(undefined));
    const claims = fc.record({
      sub: mostly('crm-1', fc.jsonValue({ maxDepth: 1 })),
      name: mostly('Ida', fc.string({ unit: 'binary', maxLength: 40 })),
      ws: mostly('*', fc.array(fc.constantFrom('acme', 'A B'), { maxLength: 2 })),
      exp: mostly(now + 600, fc.oneof(fc.integer({ min: now - 100 }), fc.jsonValue())),
      nbf: fc.oneof(fc.constant(undefined), fc.integer({ min: now - 100, max: now + 100 })),
      iss: mostly('https://idp.example', fc.jsonValue({ maxDepth: 1 })),
      aud: fc.jsonValue({ maxDepth: 1 }),
      rooms: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
    });
    const payload = fc.oneof(
      { weight: 3, arbitrary: json(claims) },
      json(fc.jsonValue({ maxDepth: 2 })),
      raw,
    );
    // Signed for real with the RS256 key (valid when the header says RS256 with its kid), or not.
    const signature = fc.oneof({ weight: 2, arbitrary: fc.constant('sign') }, raw, fc.constant(''));
    await fc.assert(
      fc.asyncProperty(header, payload, signature, async (head, body, sig) => {
        const input = `${head}.${body}`;
        const signed =
          sig === 'sign'
            ? Buffer.from(
                await webcrypto.subtle.sign(
                  'RSASSA-PKCS1-v1_5',
                  rsa.privateKey,
                  new TextEncoder().encode(input),
                ),
              ).toString('base64url')
            : sig;
        try {
          const identity = await tokens.verify(`${input}.${signed}`);
          expect(isWellFormed(identity.user.id)).toBe(true);
          expect(identity.expiresAt.getTime()).toBeGreaterThan((now - 100) * 1000);
        } catch (error) {
          expect(error).toBeInstanceOf(TokenError);
        }
      }),
      { numRuns: 400, seed: 20261202 },
    );
  });
});
