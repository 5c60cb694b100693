import { ErrorCode, type ErrorCode as ErrorCodeType } from '@parley/protocol';
import type { ExtendedError } from 'socket.io';
import { refusal } from '../auth/handshake';
import type { ParleyConfig } from '../config';
import { connectionBudget } from './connection-budget';
import type { ParleySocket } from './types';

type Middleware = (socket: ParleySocket, done: (error?: ExtendedError) => void) => void;

/**
 * One handshake per namespace at a time on a connection, around `middleware` (the token check).
 * Socket.IO makes a socket for every CONNECT packet that arrives while an earlier one to the
 * same namespace is still in its middleware, so a client that sends a burst of them would hold
 * as many sockets on one connection, each joining rooms (`auth.join`) and holding presence.
 * Another is refused with `invalid_payload` while one is under way; once one is through,
 * Socket.IO itself closes a connection that sends another.
 */
export function oneHandshakeAtATime(
  limits: ParleyConfig['limits'],
  middleware: Middleware,
  counted: (code: ErrorCodeType) => void = () => {},
): Middleware {
  return (socket, done) => {
    const budget = connectionBudget(socket.conn, limits);
    const namespace = socket.nsp.name;
    if (!budget.beginHandshake(namespace)) {
      counted(ErrorCode.InvalidPayload);
      done(refusal(ErrorCode.InvalidPayload, 'a handshake to this namespace is under way already'));
      return;
    }
    middleware(socket, (error) => {
      budget.endHandshake(namespace);
      done(error);
    });
  };
}
