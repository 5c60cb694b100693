import { randomUUID } from 'node:crypto';
import { GUEST_ID_PREFIX, issuePaths, type Member, TokenClaims } from '@parley/protocol';
import { SignJWT } from 'jose';
import type { AccessConfig } from '../config';
import { Hs256Error, verifyHs256 } from './hs256';
import { createIdentityProvider } from './identity-provider';
import { TokenError } from './token-error';

export { TokenError, type TokenProblem } from './token-error';

/**
 * Parley issues HS256 JWTs. A team's backend can mint the same tokens with the shared secret,
 * so its users keep their real ids and names; or its identity provider can sign them with its
 * own keys (`identityProvider`, see identity-provider.ts). Either way the claims are the same.
 */
const ALGORITHM = 'HS256';

export { TokenClaims };

export interface Identity {
  user: Member;
  workspaces: '*' | string[];
  expiresAt: Date;
  /** A guest of Parley's own (`POST /api/v1/session`), not a user of the team's backend. */
  guest: boolean;
  /** Owner in every room of its workspaces. */
  admin: boolean;
  /** When set, only matching rooms may be joined. */
  rooms?: string[];
}

export interface IssueTokenInput {
  sub?: string;
  name: string;
  workspaces?: '*' | string[];
  /** How long from now; or `expiresAt` (seconds since the epoch), for a renamed guest. */
  ttlSeconds: number;
  expiresAt?: number;
  guest?: boolean;
  rooms?: string[];
  admin?: boolean;
}

export interface TokenService {
  issue(input: IssueTokenInput): Promise<{ token: string; identity: Identity }>;
  verify(token: unknown): Promise<Identity>;
}

/**
 * Whether a token is one of Parley's guests: the `guest` claim, or (tokens issued before the
 * claim existed) a guest id with every workspace, which is how guests were always issued.
 */
function isGuest(claims: TokenClaims): boolean {
  return claims.guest === true || (claims.sub.startsWith(GUEST_ID_PREFIX) && claims.ws === '*');
}

export function allowsWorkspace(identity: Identity, workspace: string): boolean {
  return identity.workspaces === '*' || identity.workspaces.includes(workspace);
}

/**
 * `maxTtlSeconds`: a token whose `exp` lies further ahead than this is refused, whoever signed
 * it — a leaked token with `exp: 1e308` would otherwise never stop working.
 */
export interface TokenServiceOptions {
  maxTtlSeconds?: number;
  /** Tokens signed by the team's identity provider, verified beside HS256. */
  identityProvider?: AccessConfig['identityProvider'];
}

export function createTokenService(
  secret: string,
  {
    maxTtlSeconds = Number.POSITIVE_INFINITY,
    identityProvider: provider,
  }: TokenServiceOptions = {},
): TokenService {
  const key = new TextEncoder().encode(secret);
  const identityProvider = provider && createIdentityProvider(provider);
  return {
    async issue({
      sub = `${GUEST_ID_PREFIX}${randomUUID()}`,
      name,
      workspaces = '*',
      ttlSeconds,
      expiresAt,
      guest,
      rooms,
      admin,
    }) {
      const exp = expiresAt ?? Math.floor(Date.now() / 1000) + ttlSeconds;
      const claims = TokenClaims.parse({
        sub,
        name,
        ws: workspaces,
        exp,
        guest: guest || undefined,
        rooms,
        admin: admin || undefined,
      });
      const token = await new SignJWT({
        name: claims.name,
        ws: claims.ws,
        ...(claims.guest && { guest: true }),
        ...(claims.rooms && { rooms: claims.rooms }),
        ...(claims.admin && { admin: true }),
      })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(key);
      return { token, identity: toIdentity(claims) };
    },

    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) {
        throw new TokenError('missing', 'missing token: pass it as auth.token in the handshake');
      }
      let payload: unknown;
      try {
        payload = verifyHs256(token, key);
      } catch (error) {
        if (!(error instanceof Hs256Error)) throw error;
        // HS256 is tried first and alone, so its ≈ 4 µs path pays nothing for the routing (reading
        // the header once more would add ≈ 1 µs): only a token it finds malformed, such as one
        // whose alg is not HS256, is looked at again for the identity provider's algorithms.
        if (error.problem !== 'malformed' || !identityProvider?.accepts(token)) {
          throw new TokenError(error.problem, error.message);
        }
        payload = await identityProvider.verify(token);
      }
      const claims = TokenClaims.safeParse(payload);
      if (!claims.success) {
        const fields = issuePaths(claims.error, 'claims');
        throw new TokenError('bad_claims', `invalid token claims: ${fields.join(', ')}`);
      }
      if (claims.data.exp > Date.now() / 1000 + maxTtlSeconds) {
        throw new TokenError(
          'bad_claims',
          `invalid token claims: exp is more than ${maxTtlSeconds} s away`,
        );
      }
      return toIdentity(claims.data);
    },
  };
}

function toIdentity(claims: TokenClaims): Identity {
  return {
    user: { id: claims.sub, name: claims.name },
    workspaces: claims.ws,
    expiresAt: new Date(claims.exp * 1000),
    guest: isGuest(claims),
    admin: claims.admin === true,
    ...(claims.rooms && { rooms: claims.rooms }),
  };
}
