import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeIssues, SessionRequest, type SessionResponse } from '@parley/protocol';
import type { Identity, TokenService } from '../auth/tokens';
import { addressKey } from '../clients/client-address';
import { ParleyError } from '../errors';
import type { Services } from '../services';
import { readJson, sendJson } from './respond';

const MAX_BODY_BYTES = 16 * 1024;

/**
 * `POST /api/v1/session {name, token?}`: a guest token, when guest tokens are enabled, within
 * a budget per client address (guests are free identities: without it, one client could mint
 * thousands and multiply every per-user limit). With the guest's previous token it is a rename:
 * the same id, the same workspaces and the same expiry — a rename never widens what a token
 * opens nor makes it live longer, so a guest identity ends `GUEST_TOKEN_TTL_SECONDS` after it
 * began. Only Parley's own guest tokens can be renamed.
 */
export function guestSessionRoute(services: Services) {
  const { config, tokens, stores, clientAddress } = services;
  const { guestTokens: rate } = config.clients;
  const perAddress = rate && stores.rateLimiter('guest-tokens', rate.perSecond, rate.burst);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!config.auth.guestTokens) {
      throw new ParleyError('forbidden', 'guest tokens are disabled on this server');
    }
    const parsed = SessionRequest.safeParse(await readJson(req, MAX_BODY_BYTES));
    if (!parsed.success) {
      throw new ParleyError('invalid_payload', describeIssues(parsed.error, 'body').join('; '));
    }
    const previous = await previousGuest(tokens, parsed.data.token);
    // A rename mints no new identity: only new guests spend the address's budget.
    if (perAddress && !previous) {
      const decision = await perAddress.take(addressKey(clientAddress(req)));
      if (!decision.allowed) {
        services.metrics.rateLimited('guest_tokens');
        throw new ParleyError(
          'rate_limited',
          'too many guest sessions from your address; retry later',
          { retryAfterMs: decision.retryAfterMs },
          429,
        );
      }
    }
    const { token, identity } = await tokens.issue({
      name: parsed.data.name,
      ttlSeconds: config.auth.guestTokenTtlSeconds,
      guest: true,
      ...(previous && {
        sub: previous.user.id,
        workspaces: previous.workspaces,
        expiresAt: Math.floor(previous.expiresAt.getTime() / 1000),
      }),
    });
    const body: SessionResponse = {
      token,
      user: identity.user,
      expiresAt: identity.expiresAt.toISOString(),
    };
    sendJson(res, 201, body);
  };
}

/** The identity of a still-valid guest token; anything else (a backend's user too) is ignored. */
async function previousGuest(
  tokens: TokenService,
  token: string | undefined,
): Promise<Identity | undefined> {
  if (!token) return undefined;
  try {
    const identity = await tokens.verify(token);
    return identity.guest ? identity : undefined;
  } catch {
    return undefined;
  }
}
