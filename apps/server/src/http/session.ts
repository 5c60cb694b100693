import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionRequest, type SessionResponse } from '@parley/protocol';
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
