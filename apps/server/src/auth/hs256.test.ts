import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyHs256 } from './hs256';

const secret = new TextEncoder().encode('a-test-secret-that-is-long-enough-for-hs256');
const now = 1_800_000_000;

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token put together by hand, so each part can be wrong on purpose. */
function handMade(
  header: unknown,
  claims: unknown,
  key: Uint8Array = secret,
): { token: string; header: string; payload: string; signature: string } {
  const head = segment(header);
  const payload = segment(claims);
  const signature = createHmac('sha256', key).update(`${head}.${payload}`).digest('base64url');
  return { token: `${head}.${payload}.${signature}`, header: head, payload, signature };
}

const HEADER = { alg: 'HS256', typ: 'JWT' };
const CLAIMS = { sub: 'u1', name: 'Ana', ws: '*', exp: now + 60 };

function problemOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { problem?: string }).problem;
  }
}

describe('verifyHs256', () => {
  it('accepts what jose signs (and what any JWT library mints with HS256) and answers its claims', async () => {
    const token = await new SignJWT({ name: 'Ana', ws: ['acme'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('u1')
      .setIssuedAt(now - 5)
      .setExpirationTime(now + 60)
      .sign(secret);
    expect(verifyHs256(token, secret, now)).toEqual({
      name: 'Ana',
      ws: ['acme'],
      sub: 'u1',
      iat: now - 5,
      exp: now + 60,
    });
  });

  it('refuses another secret, a changed payload, and another spelling of the signature', () => {
    const other = new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256');
    expect(problemOf(() => verifyHs256(handMade(HEADER, CLAIMS, other).token, secret, now))).toBe(
      'bad_signature',
    );
    const { header, payload, signature } = handMade(HEADER, CLAIMS);
    const forged = segment({ ...CLAIMS, name: 'Mallory' });
    expect(problemOf(() => verifyHs256(`${header}.${forged}.${signature}`, secret, now))).toBe(
      'bad_signature',
    );
    expect(problemOf(() => verifyHs256(`${header}.${payload}.${signature}=`, secret, now))).toBe(
      'malformed', // padding is not base64url
    );
    expect(problemOf(() => verifyHs256(`${handMade(HEADER, CLAIMS).token}A`, secret, now))).toBe(
      'bad_signature',
    );
  });

  it('accepts only HS256, without critical extensions', () => {
    for (const header of [
      { alg: 'none' },
      { alg: 'HS512' },
      { alg: 'RS256' },
      { alg: 'hs256' },
      { alg: 'HS256', crit: ['b64'], b64: false },
    ]) {
      expect(problemOf(() => verifyHs256(handMade(header, CLAIMS).token, secret, now))).toBe(
        'malformed',
      );
    }
  });

  it('refuses what is not three base64url JSON objects', () => {
    const good = handMade(HEADER, CLAIMS);
    for (const token of [
      '',
      'abc',
      `${good.header}.${good.payload}`,
      `${good.token}.extra`,
      `${good.header}..${good.signature}`,
      `${good.header}.${good.payload}+/.${good.signature}`,
      `${segment('text')}.${good.payload}.${good.signature}`,
      `not json.${good.payload}.${good.signature}`,
    ]) {
      expect(
        problemOf(() => verifyHs256(token, secret, now)),
        token,
      ).toBe('malformed');
    }
    const array = handMade(HEADER, [1, 2]);
    expect(problemOf(() => verifyHs256(array.token, secret, now))).toBe('malformed');
  });

  it('needs a numeric exp in the future, and honours nbf', () => {
    const at = (claims: object) =>
      problemOf(() => verifyHs256(handMade(HEADER, claims).token, secret, now));
    expect(at({ ...CLAIMS, exp: now })).toBe('expired');
    expect(at({ ...CLAIMS, exp: now - 1 })).toBe('expired');
    expect(at({ ...CLAIMS, exp: now + 1 })).toBeUndefined();
    expect(at({ sub: 'u1' })).toBe('bad_claims');
    expect(at({ ...CLAIMS, exp: String(now + 60) })).toBe('bad_claims');
    expect(at({ ...CLAIMS, nbf: now + 30 })).toBe('bad_claims');
    expect(at({ ...CLAIMS, nbf: now - 30 })).toBeUndefined();
    expect(at({ ...CLAIMS, iat: 'yesterday' })).toBe('bad_claims');
  });
});
