import { randomUUID } from 'node:crypto';
import { DisplayName, type Member, WorkspaceSlug } from '@parley/protocol';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { Hs256Error, verifyHs256 } from './hs256';

/**
 * Parley tokens are HS256 JWTs. A team's backend can mint the same tokens with the shared
 * secret, so its users keep their real ids and names.
 */
const ALGORITHM = 'HS256';

export const TokenClaims = z.object({
  sub: z.string().min(1).max(128),
  name: DisplayName,
  ws: z.union([z.literal('*'), z.array(WorkspaceSlug).min(1)]),
  exp: z.number(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export interface Identity {
  user: Member;
  workspaces: '*' | string[];
  expiresAt: Date;
}

export type TokenProblem = 'missing' | 'malformed' | 'expired' | 'bad_signature' | 'bad_claims';

export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface IssueTokenInput {
  sub?: string;
  name: string;
  workspaces?: '*' | string[];
  ttlSeconds: number;
}

export interface TokenService {
  issue(input: IssueTokenInput): Promise<{ token: string; identity: Identity }>;
  verify(token: unknown): Promise<Identity>;
}

const GUEST_PREFIX = 'guest_';

/** Guest ids are Parley's own; a backend's user ids are never taken over by a guest. */
export function isGuestId(id: string): boolean {
  return id.startsWith(GUEST_PREFIX);
}

export function allowsWorkspace(identity: Identity, workspace: string): boolean {
  return identity.workspaces === '*' || identity.workspaces.includes(workspace);
}

export function createTokenService(secret: string): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async issue({ sub = `${GUEST_PREFIX}${randomUUID()}`, name, workspaces = '*', ttlSeconds }) {
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      const claims = TokenClaims.parse({ sub, name, ws: workspaces, exp });
      const token = await new SignJWT({ name: claims.name, ws: claims.ws })
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
        if (error instanceof Hs256Error) throw new TokenError(error.problem, error.message);
        throw error;
      }
      const claims = TokenClaims.safeParse(payload);
      if (!claims.success) {
        const fields = claims.error.issues.map((issue) => issue.path.join('.') || 'claims');
        throw new TokenError(
          'bad_claims',
          `invalid token claims: ${[...new Set(fields)].join(', ')}`,
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
  };
}
