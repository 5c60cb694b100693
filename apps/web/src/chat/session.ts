import type { SessionSource } from '@parley/client';
import { HttpErrorResponse, HttpPath, type Member, SessionResponse } from '@parley/protocol';

/** A guest identity kept in this browser, per server. */
export interface StoredSession {
  serverUrl: string;
  token: string;
  user: Member;
  expiresAt: string;
}

const NAME_KEY = 'parley.name';
const sessionKey = (serverUrl: string) => `parley.session:${serverUrl}`;
// Renew a little before expiry, so a reconnect never presents a token that just ran out.
const RENEW_MARGIN_MS = 60_000;

export class SessionError extends Error {}

export function rememberedName(): string {
  return localStorage.getItem(NAME_KEY) ?? '';
}

export function loadSession(serverUrl: string): StoredSession | null {
  try {
    const raw = localStorage.getItem(sessionKey(serverUrl));
    if (!raw) return null;
    const session = JSON.parse(raw) as StoredSession;
    if (Date.parse(session.expiresAt) - RENEW_MARGIN_MS < Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

/** Asks the server for a guest token; with the previous token, the user keeps their id. */
export async function createSession(
  serverUrl: string,
  name: string,
  previousToken?: string,
): Promise<StoredSession> {
  let response: Response;
  try {
    response = await fetch(`${serverUrl}${HttpPath.Session}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, token: previousToken }),
    });
  } catch {
    throw new SessionError(`Couldn't reach the Parley server at ${serverUrl}. Is it running?`);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const failure = HttpErrorResponse.safeParse(body);
    throw new SessionError(
      failure.success ? failure.data.error.message : `The server answered ${response.status}.`,
    );
  }
  const session = { serverUrl, ...SessionResponse.parse(body) };
  localStorage.setItem(sessionKey(serverUrl), JSON.stringify(session));
  localStorage.setItem(NAME_KEY, session.user.name);
  return session;
}

/**
 * What a workspace client asks for its token and identity: the stored session, renewed (under
 * the same name) when the server refuses its token. The client renews once; if the server
 * refuses the renewed token too, or the renewal fails, the connection stays refused and the
 * person picks their name again. `onRenewed` hears of each new session, to show and keep it.
 */
export function sessionSource(
  initial: StoredSession,
  onRenewed: (session: StoredSession) => void,
): SessionSource {
  let current = initial;
  return {
    token: () => current.token,
    me: () => current.user,
    async renew() {
      // An expired token cannot be renamed: the renewed guest may be a new user.
      current = await createSession(current.serverUrl, current.user.name);
      onRenewed(current);
    },
  };
}
