import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, openClient, refusal, startServer, type TestServer } from '../../test/helpers';
import {
  idpToken,
  type JwksServer,
  type SigningKey,
  signingKey,
  startJwksServer,
} from '../../test/jwks';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'parley';
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let rsa: SigningKey;
let ec: SigningKey;
beforeAll(async () => {
  [rsa, ec] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1')]);
});

let t: TestServer | undefined;
let jwks: JwksServer | undefined;
afterEach(async () => {
  await t?.close();
  await jwks?.close();
  t = undefined;
  jwks = undefined;
});

async function refused(workspace: string, token: string) {
  const socket = openClient((t as TestServer).url, workspace, token);
  try {
    return await refusal(socket);
  } finally {
    socket.close();
  }
}

describe('handshakes with tokens signed by the identity provider', () => {
  async function start() {
    jwks = await startJwksServer([rsa, ec]);
    t = await startServer({
      TOKEN_JWKS_URL: jwks.url,
      TOKEN_ISSUER: ISSUER,
      TOKEN_AUDIENCE: AUDIENCE,
    });
    return { t, jwks };
  }

  it('admits its users with the id and name it gave them, beside HS256 users', async () => {
    const { t, jwks } = await start();
    for (const key of [rsa, ec]) {
      const token = await idpToken(key, {
        sub: `sso-${key.alg}`,
        name: 'Ida',
        ws: ['acme'],
        iss: ISSUER,
        aud: AUDIENCE,
      });
      const socket = await t.connect('acme', token);
      const { members } = await call(socket, 'room:join', {
        room: `general-${key.alg.toLowerCase()}`,
      });
      expect(members).toEqual([expect.objectContaining({ id: `sso-${key.alg}`, name: 'Ida' })]);
    }
    expect(jwks.requests).toBe(1);
    const hs256 = await t.connect('acme', await t.token('Ana'));
    expect(hs256.connected).toBe(true);
    expect(jwks.requests).toBe(1);
  });

  it('refuses another issuer or audience, and an alg none token, as unauthorized', async () => {
    await start();
    const cases: [string, RegExp][] = [
      [await idpToken(rsa, { iss: 'https://evil.example', aud: AUDIENCE }), /iss is not accepted/],
      [await idpToken(rsa, { iss: ISSUER, aud: 'crm' }), /aud is not accepted/],
      [await idpToken(rsa, { iss: ISSUER }), /aud is missing/],
      [await idpToken(rsa, { iss: ISSUER, aud: AUDIENCE, exp: 1 }), /token expired/],
      [
        `${segment({ alg: 'none' })}.${segment({ sub: 'u', name: 'M', ws: '*' })}.`,
        /invalid token/,
      ],
    ];
    for (const [token, message] of cases) {
      const error = await refused('acme', token);
      expect(error.data?.code).toBe('unauthorized');
      expect(error.message).toMatch(message);
    }
  });

  it('refuses quickly as unavailable while the JWKS endpoint is down, and keeps serving everyone else', async () => {
    jwks = await startJwksServer([rsa]);
    const url = jwks.url;
    await jwks.close();
    jwks = undefined;
    t = await startServer({ TOKEN_JWKS_URL: url });
    const error = await refused('acme', await idpToken(rsa));
    // Not the token's fault: `unavailable`, which clients retry.
    expect(error.data?.code).toBe('unavailable');
    expect(error.message).toBe("could not get the identity provider's keys; try again later");
    const hs256 = await t.connect('acme', await t.token('Ana'));
    expect(hs256.connected).toBe(true);
  });

  it('verifies with a PEM public key instead of a JWKS, for the configured algorithm only', async () => {
    t = await startServer({ TOKEN_PUBLIC_KEY: ec.pem, TOKEN_ALGORITHMS: 'ES256' });
    const socket = await t.connect('acme', await idpToken(ec, {}, { kid: null }));
    expect(socket.connected).toBe(true);
    expect((await refused('acme', await idpToken(rsa))).data?.code).toBe('unauthorized');
  });
});
