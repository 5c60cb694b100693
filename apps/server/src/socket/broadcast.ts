import type { RelayedBroadcast, ServerEventName, ServerPayloadOf } from '@parley/protocol';
import { createRelay } from '../cluster/relay';
import { namespacesOf } from './engine-internals';
import { LOBBY_CHANNEL, type ParleyIo, roomChannel } from './types';

export interface Broadcaster {
  /** Emits to the sockets in a room, on every node. */
  toRoom<E extends ServerEventName>(
    workspace: string,
    room: string,
    event: E,
    payload: ServerPayloadOf<E>,
  ): void;
  /** Emits to a room's members and to the workspace's lobbies (room counts, topics). */
  toRoomWatchers<E extends ServerEventName>(
    workspace: string,
    room: string,
    event: E,
    payload: ServerPayloadOf<E>,
  ): void;
}

/**
 * Broadcasts that start outside a socket's handler (the server API). Workspace namespaces are
 * created by the handshake of their first socket, so they cannot be addressed with `io.of()`
 * from here: that would create one without the authentication middleware. Instead each node
 * emits to the namespace it already has, and asks the others (fire and forget) to do the same.
 */
export function createBroadcaster(
  io: ParleyIo,
  { crossNode }: { crossNode: boolean },
): Broadcaster {
  const emitLocally = ({ workspace, channels, event, payload }: RelayedBroadcast) => {
    const namespace = namespacesOf(io).of(workspace);
    if (!namespace) return;
    const target = namespace.local.to(channels);
    // The event and its payload were checked against each other where the broadcast began.
    (target.emit as (event: string, payload: unknown) => boolean)(event, payload);
  };
  const broadcast = createRelay(io, 'parley:broadcast', emitLocally, { crossNode });
  return {
    toRoom: (workspace, room, event, payload) =>
      broadcast({ workspace, channels: [roomChannel(room)], event, payload }),
    toRoomWatchers: (workspace, room, event, payload) =>
      broadcast({ workspace, channels: [roomChannel(room), LOBBY_CHANNEL], event, payload }),
  };
}
