import { CloseReason } from '@parley/protocol';
import { closeConnection } from '../socket/close';
import { namespacesOf } from '../socket/engine-internals';
import type { ParleyIo } from '../socket/types';

export interface TokenExpiry {
  stop(): void;
}

/** How often connections are checked; a connection that sends anything is checked at once. */
const CHECK_INTERVAL_MS = 2000;

/**
 * Ends every connection whose token has expired, whether or not it sends anything (one that
 * sends is refused at once by the handler runtime). A scan over the sockets every couple of
 * seconds: nothing kept per socket (memory per idle socket is what a node's capacity is), and
 * a comparison per socket per scan costs less than a timer each.
 */
export function startTokenExpiry(io: ParleyIo): TokenExpiry {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const namespace of namespacesOf(io).all()) {
      for (const socket of namespace.sockets.values()) {
        const expiresAt = socket.data.expiresAt;
        if (expiresAt !== undefined && expiresAt <= now) {
          closeConnection(
            socket,
            CloseReason.TokenExpired,
            'token expired; reconnect with a new one',
          );
        }
      }
    }
  }, CHECK_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
