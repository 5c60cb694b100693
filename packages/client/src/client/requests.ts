import {
  type AckOf,
  type ClientEventName,
  ErrorCode,
  fail,
  type PayloadInputOf,
} from '@parley/protocol';
import { type ChatSocket, request } from '@parley/protocol/client';

/**
 * Typed requests over the socket, and the count of connections lost that tells a current answer
 * from a stale one: an answer to a request made on an earlier connection changes nothing, since
 * the new connection joins again and resends.
 */
export interface Requests {
  call<E extends ClientEventName>(event: E, payload: PayloadInputOf<E>): Promise<AckOf<E>>;
  /** The connection a request is made on; compare it with `stale` once the answer comes. */
  epoch(): number;
  /** True once the client is disposed or the connection of `epoch` is lost. */
  stale(epoch: number): boolean;
  /** Marks every request made so far as stale. */
  connectionLost(): void;
}

export function createRequests(deps: {
  socket: ChatSocket;
  ackTimeoutMs: number;
  isDisposed: () => boolean;
}): Requests {
  const { socket, ackTimeoutMs, isDisposed } = deps;
  let epoch = 0;

  function call<E extends ClientEventName>(
    event: E,
    payload: PayloadInputOf<E>,
  ): Promise<AckOf<E>> {
    // Not buffered until a reconnection: by then the room must be joined again first.
    if (!socket.connected) {
      return Promise.resolve(fail(ErrorCode.Unavailable, 'not connected') as AckOf<E>);
    }
    return request(socket, event, payload, ackTimeoutMs);
  }

  return {
    call,
    epoch: () => epoch,
    stale: (at) => isDisposed() || at !== epoch,
    connectionLost() {
      epoch++;
    },
  };
}

export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
