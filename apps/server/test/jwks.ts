import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** A key pair as a team's identity provider holds one. */
export interface SigningKey {
  alg: SigningAlgorithm;
  kid: string;
  privateKey: CryptoKey;
  /** The public half as it appears in a JWKS. */
  jwk: JWK;
  /** The public half as PEM (SPKI), as TOKEN_PUBLIC_KEY takes it. */
  pem: string;
}

export async function signingKey(alg: SigningAlgorithm, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk, pem: await exportSPKI(publicKey) };
}

/**
 * A token as the identity provider would sign it: Parley's claims, `exp` an hour ahead unless
 * `claims` says otherwise, and `kid` in the header unless `kid: null`.
 */
export function idpToken(
  key: SigningKey,
  claims: JWTPayload = {},
  { kid = key.kid }: { kid?: string | null } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'u-idp', name: 'Ida', ws: '*', iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', ...(kid !== null && { kid }) })
    .sign(key.privateKey);
}

export interface JwksServer {
  url: string;
  /** GETs of the key set so far. */
  readonly requests: number;
  /** What the endpoint serves from now on. */
  publish(keys: SigningKey[]): void;
  /** From now on, this status and body instead of a key set. */
  respond(status: number, body: string): void;
  /** From now on, requests are received (and counted) but never answered. */
  hang(): void;
  close(): Promise<void>;
}

/** A real JWKS endpoint on a free loopback port that counts how often it is asked. */
export async function startJwksServer(keys: SigningKey[] = []): Promise<JwksServer> {
  let status = 200;
  let body = keySet(keys);
  let requests = 0;
  let hanging = false;
  const server = createServer((_request, response) => {
    requests += 1;
    if (hanging) return;
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    publish(next) {
      status = 200;
      body = keySet(next);
    },
    respond(nextStatus, nextBody) {
      status = nextStatus;
      body = nextBody;
    },
    hang() {
      hanging = true;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function keySet(keys: SigningKey[]): string {
  return JSON.stringify({ keys: keys.map((key) => key.jwk) });
}
