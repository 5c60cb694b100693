import type {
  IncomingClientEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '@parley/protocol';
import type { Namespace, Server, Socket } from 'socket.io';

export type { AnnouncedDeparture, InterServerEvents } from '@parley/protocol';

export type ParleyIo = Server<
  IncomingClientEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type ParleyNamespace = Namespace<
  IncomingClientEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type ParleySocket = Socket<
  IncomingClientEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/**
 * Socket.IO room of the sockets that listed the workspace's rooms: they hear every room's
 * count. Everyone else hears only their own rooms', so joins do not cost every socket a frame.
 */
export const LOBBY_CHANNEL = 'lobby';

/** Socket.IO room of a chat room: prefixed so it can never collide with a socket's own room. */
export function roomChannel(room: string): string {
  return `${ROOM_CHANNEL_PREFIX}${room}`;
}

const ROOM_CHANNEL_PREFIX = 'room:';

/** Whether a Socket.IO room is a chat room's (not a lobby, not a socket's own). */
export function isRoomChannel(channel: string): boolean {
  return channel.startsWith(ROOM_CHANNEL_PREFIX);
}
