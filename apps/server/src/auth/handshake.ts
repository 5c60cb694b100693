import { ErrorCode, type ErrorCode as ErrorCodeType, workspaceOfNamespace } from '@parley/protocol';
import type { ExtendedError } from 'socket.io';
import type { ParleySocket } from '../socket/types';
import { allowsWorkspace, TokenError, type TokenService } from './tokens';

/** A `connect_error` whose message says what was wrong and whose `data.code` a client can test. */
export function refusal(code: ErrorCodeType, message: string): ExtendedError {
  const error: ExtendedError = new Error(message);
  error.data = { code };
  return error;
}

/** What a socket's handshake holds once its token was checked: nothing. */
const CHECKED: Record<string, never> = Object.freeze({});

/**
 * The namespace's workspace, one string for all its sockets (each would keep its own copy).
 */
const workspaces = new WeakMap<object, string | undefined>();
function workspaceOf(namespace: { name: string }): string | undefined {
  if (!workspaces.has(namespace)) workspaces.set(namespace, workspaceOfNamespace(namespace.name));
  return workspaces.get(namespace);
}

/**
 * Namespace middleware: only a valid token whose `ws` claim covers the namespace's workspace
 * gets in. Identity is put on `socket.data` for the handlers.
 */
export function authenticateHandshake(
  tokens: TokenService,
  counted: (code: 'ok' | ErrorCodeType) => void = () => {},
  /** Reads the rest of the handshake once its token is good: a refusal, or undefined. */
  readRest: (socket: ParleySocket) => ExtendedError | undefined = () => undefined,
) {
  const answer = (next: (error?: ExtendedError) => void, error?: ExtendedError) => {
    counted((error?.data as { code?: ErrorCodeType } | undefined)?.code ?? 'ok');
    next(error);
  };
  return async (socket: ParleySocket, done: (error?: ExtendedError) => void) => {
    const next = (error?: ExtendedError) => answer(done, error);
    const workspace = workspaceOf(socket.nsp);
    if (!workspace) return next(refusal(ErrorCode.NotFound, 'unknown namespace'));
    try {
      const identity = await tokens.verify(socket.handshake.auth?.token);
      if (!allowsWorkspace(identity, workspace)) {
        return next(refusal(ErrorCode.Forbidden, `token does not allow workspace "${workspace}"`));
      }
      socket.data.user = identity.user;
      socket.data.workspace = workspace;
      socket.data.expiresAt = identity.expiresAt.getTime();
      socket.data.admin = identity.admin;
      if (identity.rooms) socket.data.rooms = identity.rooms;
      const refused = readRest(socket);
      // Checked: the token (hundreds of characters) is not kept for the connection's life.
      // Nothing reads it again; a new token comes with a new connection.
      socket.handshake.auth = CHECKED;
      next(refused);
    } catch (error) {
      if (error instanceof TokenError) {
        // The identity provider's keys could not be fetched: nothing wrong with the token, retry.
        const code =
          error.problem === 'keys_unavailable' ? ErrorCode.Unavailable : ErrorCode.Unauthorized;
        return next(refusal(code, error.message));
      }
      next(refusal(ErrorCode.Internal, 'could not check the token'));
    }
  };
}
