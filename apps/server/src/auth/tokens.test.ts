import { createHmac } from 'node:crypto';
import { DisplayName, isWellFormed } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTokenService, TokenError } from './tokens';

const SECRET = 'token-test-secret-that-is-long-enough!!';

/** Signed with the right secret: whatever the claims, only their content decides. */
function signed(claims: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

describe('token verification', () => {
  it('answers an identity that holds every rule, or a TokenError, for any signed claims', async () => {
    const maxTtlSeconds = 3600;
    const tokens = createTokenService(SECRET, { maxTtlSeconds });
    const now = Math.floor(Date.now() / 1000);
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('Ana', 'u1', '\u200b', ' '),
    );
    const claims = fc.record(
      {
        sub: fc.oneof(text, fc.integer(), fc.constant(null)),
        name: fc.oneof(text, fc.array(text, { maxLength: 2 })),
        ws: fc.oneof(
          fc.constant('*'),
          fc.array(fc.constantFrom('acme', 'ACME', '', 'a b'), { maxLength: 3 }),
          text,
        ),
        exp: fc.oneof(
          fc.integer({ min: now - 100, max: now + 2 * maxTtlSeconds }),
          fc.constantFrom(1e308, Number.MAX_SAFE_INTEGER, -1, 0.5 + now + 60),
          fc.string(),
        ),
        guest: fc.oneof(fc.constant(true), fc.constant('yes'), fc.boolean()),
        extra: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(claims, async (payload) => {
        try {
          const identity = await tokens.verify(signed(payload));
          expect(isWellFormed(identity.user.id)).toBe(true);
          expect(DisplayName.safeParse(identity.user.name).success).toBe(true);
          const seconds = identity.expiresAt.getTime() / 1000;
          expect(Number.isInteger(seconds)).toBe(true);
          expect(seconds).toBeGreaterThan(now - 1);
          expect(seconds).toBeLessThanOrEqual(Date.now() / 1000 + maxTtlSeconds);
        } catch (error) {
          expect(error).toBeInstanceOf(TokenError);
        }
      }),
      { numRuns: 500, seed: 20261201 },
    );
  });
});
