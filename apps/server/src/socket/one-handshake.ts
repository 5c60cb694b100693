import { ErrorCode, type ErrorCode as ErrorCodeType } from '@parley/protocol';
import type { ExtendedError } from 'socket.io';
import { refusal } from '../auth/handshake';
import type { ParleySocket } from './types';

type Middleware = (socket: ParleySocket, done: (error?: ExtendedError) => void) => void;

/**
 * Namespaces with a handshake under way, by connection, only while one is: kept apart from the
 * connection's budget so an idle connection carries nothing for it (memory per idle socket).
 */
const handshaking = new WeakMap<object, Set<string>>();

/**
 * One handshake per namespace at a time on a connection, around `middleware` (the token check).
 * Socket.IO makes a socket for every CONNECT packet that arrives while an earlier one to the
 * same namespace is still in its middleware, so a client that sends a burst of them would hold
 * as many sockets on one connection, each joining rooms (`auth.join`) and holding presence.
 * Another is refused with `invalid_payload` while one is under way; once one is through,
 * Socket.IO itself closes a connection that sends another.
 */
export function oneHandshakeAtATime(
  middleware: Middleware,
  counted: (code: ErrorCodeType) => void = () => {},
): Middleware {
  return (socket, done) => {
    const connection = socket.conn;
    const namespace = socket.nsp.name;
    let namespaces = handshaking.get(connection);
    if (namespaces?.has(namespace)) {
      counted(ErrorCode.InvalidPayload);
      done(refusal(ErrorCode.InvalidPayload, 'a handshake to this namespace is under way already'));
      return;
    }
    if (!namespaces) {
      namespaces = new Set();
      handshaking.set(connection, namespaces);
    }
    namespaces.add(namespace);
    middleware(socket, (error) => {
      namespaces.delete(namespace);
      if (namespaces.size === 0) handshaking.delete(connection);
      done(error);
    });
  };
}
