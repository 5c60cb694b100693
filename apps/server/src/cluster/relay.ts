import type { InterServerEvents } from '@parley/protocol';
import type { ParleyIo } from '../socket/types';

type RelayedEvent = keyof InterServerEvents;
type PayloadOf<E extends RelayedEvent> = Parameters<InterServerEvents[E]>[0];

/**
 * How a node tells every node (itself included) something each must act on for its own sockets:
 * a broadcast, a removal from a room, departures a sweep found. Every cross-node message Parley
 * sends besides the stores' own goes through here, on the Socket.IO adapter's
 * `serverSideEmit` — fire and forget, no acknowledgement awaited (a node that misses one has
 * clients who catch up from the stores). Alone (no Redis), only `act` runs.
 *
 * Acting locally first keeps this node's sockets as fast as without a cluster.
 */
export function createRelay<E extends RelayedEvent>(
  io: ParleyIo,
  event: E,
  act: (payload: PayloadOf<E>) => void,
  { crossNode }: { crossNode: boolean },
): (payload: PayloadOf<E>) => void {
  if (crossNode) {
    (io.on as (event: string, listener: (payload: PayloadOf<E>) => void) => void)(event, act);
  }
  return (payload) => {
    act(payload);
    if (crossNode) {
      (io.serverSideEmit as (event: string, payload: PayloadOf<E>) => boolean)(event, payload);
    }
  };
}
