import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionRequest, type SessionResponse } from '@parley/protocol';
import { isGuestId, type TokenService } from '../auth/tokens';
import type { Services } from '../services';
import { HttpError, readJson, sendJson } from './respond';

const MAX_BODY_BYTES = 16 * 1024;

/** `POST /api/v1/session {name}`: a guest token, when guest tokens are enabled. */
export async function createGuestSession(
  req: IncomingMessage,
  res: ServerResponse,
  { config, tokens }: Services,
): Promise<void> {
  if (!config.auth.guestTokens) {
    throw new HttpError('forbidden', 'guest tokens are disabled on this server');
  }
  const parsed = SessionRequest.safeParse(await readJson(req, MAX_BODY_BYTES));
  if (!parsed.success) {
    const detail = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`,
    );
    throw new HttpError('invalid_payload', detail.join('; '));
  }
  const { token, identity } = await tokens.issue({
    sub: await previousGuestId(tokens, parsed.data.token),
    name: parsed.data.name,
    ttlSeconds: config.auth.guestTokenTtlSeconds,
  });
  const body: SessionResponse = {
    token,
    user: identity.user,
    expiresAt: identity.expiresAt.toISOString(),
  };
  sendJson(res, 201, body);
}

/** The id of a still-valid guest token, so renaming keeps the member; anything else is ignored. */
async function previousGuestId(tokens: TokenService, token: string | undefined) {
  if (!token) return undefined;
  try {
    const { user } = await tokens.verify(token);
    return isGuestId(user.id) ? user.id : undefined;
  } catch {
    return undefined;
  }
}
