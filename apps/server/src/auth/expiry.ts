import { CloseReason } from '@parley/protocol';
import { closeConnection } from '../socket/close';
import type { ParleySocket } from '../socket/types';

export interface TokenExpiry {
  /** Watches a connected socket until its token's `exp` (socket.data.expiresAt). */
  watch(socket: ParleySocket): void;
  unwatch(socket: ParleySocket): void;
  stop(): void;
}

const SECOND = 1000;

/**
 * Ends every connection when its token expires, whether or not it sends anything (one that
 * sends is also refused at once by the handler runtime). Sockets are kept in one bucket per
 * second of expiry and one timer serves them all: a Set entry per socket, not a timer each.
 */
export function startTokenExpiry(): TokenExpiry {
  const buckets = new Map<number, Set<ParleySocket>>();
  const bucketOf = (socket: ParleySocket) => Math.ceil(socket.data.expiresAt / SECOND);
  let next = Math.floor(Date.now() / SECOND);

  const timer = setInterval(() => {
    const now = Math.floor(Date.now() / SECOND);
    // Buckets are few compared with sockets (one per second that some token expires in), and
    // only the due ones are touched.
    for (; next <= now; next++) {
      const due = buckets.get(next);
      if (!due) continue;
      buckets.delete(next);
      for (const socket of due) {
        closeConnection(
          socket,
          CloseReason.TokenExpired,
          'token expired; reconnect with a new one',
        );
      }
    }
  }, SECOND / 4);
  timer.unref();

  return {
    watch(socket) {
      const key = bucketOf(socket);
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = new Set();
        buckets.set(key, bucket);
      }
      bucket.add(socket);
      // A token that expired already (a clock skew at the handshake): the next tick ends it.
      if (key < next) next = key;
    },
    unwatch(socket) {
      const key = bucketOf(socket);
      const bucket = buckets.get(key);
      if (!bucket?.delete(socket)) return;
      if (bucket.size === 0) buckets.delete(key);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
