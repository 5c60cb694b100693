import {
  type ErrorBody,
  ErrorCode,
  errorBody,
  HttpErrorResponse,
  HttpPath,
  type Member,
  SessionResponse,
} from '@parley/protocol';

/**
 * Where the client gets its token and identity. `token()` is asked on every (re)connection, so
 * a renewed token is used; `renew()` is called when the server refuses the token
 * (`unauthorized`, e.g. it expired) and should get a new one, or reject when it cannot (the
 * connection then goes offline, refused `unauthorized`). Without `renew`, a refusal is final.
 */
export interface SessionSource {
  token(): string | Promise<string>;
  me(): Member;
  renew?(): Promise<void>;
}

/** A session request that failed: `error` says why, as the server (or the network) did. */
export class SessionError extends Error {
  constructor(readonly error: ErrorBody) {
    super(error.message);
    this.name = 'SessionError';
  }
}

export interface GuestSession extends SessionSource {
  /** When the current token expires (ISO 8601). */
  expiresAt(): string;
}

export interface GuestSessionOptions {
  /** The server's base URL. */
  url: string;
  name: string;
  /** A guest token this server issued before: the new one keeps its user id while it is valid. */
  token?: string;
  /** `fetch` to use (the global one by default). */
  fetch?: typeof fetch;
}

/**
 * A guest identity from the server (`POST /api/v1/session`), when it gives guest tokens. Its
 * `renew` asks for a new guest token with the same name: an expired token cannot be renamed, so
 * the renewed guest may have a new id.
 */
export async function createGuestSession(options: GuestSessionOptions): Promise<GuestSession> {
  let current = await requestGuestToken(options);
  return {
    token: () => current.token,
    me: () => current.user,
    expiresAt: () => current.expiresAt,
    async renew() {
      current = await requestGuestToken({ ...options, name: current.user.name, token: undefined });
    },
  };
}

/** One `POST /api/v1/session`; rejects with a `SessionError`. */
export async function requestGuestToken({
  url,
  name,
  token,
  fetch: fetchFn = fetch,
}: GuestSessionOptions): Promise<SessionResponse> {
  let response: Response;
  try {
    response = await fetchFn(`${url.replace(/\/+$/, '')}${HttpPath.Session}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(token ? { name, token } : { name }),
    });
  } catch (cause) {
    throw new SessionError(
      errorBody(ErrorCode.Unavailable, `could not reach ${url}: ${(cause as Error).message}`),
    );
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const failure = HttpErrorResponse.safeParse(body);
    throw new SessionError(
      failure.success
        ? failure.data.error
        : errorBody(ErrorCode.Internal, `the server answered ${response.status}`),
    );
  }
  const parsed = SessionResponse.safeParse(body);
  if (!parsed.success) {
    throw new SessionError(
      errorBody(ErrorCode.Internal, 'the server answered an unexpected session'),
    );
  }
  return parsed.data;
}
