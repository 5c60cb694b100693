import type {
  IncomingClientEvents,
  Member,
  ServerToClientEvents,
  SocketData,
} from '@parley/protocol';
import type { Namespace, Server, Socket } from 'socket.io';
import type { RelayedBroadcast } from './broadcast';

/** A departure announced to every node, each telling its own sockets. */
export interface AnnouncedDeparture {
  workspace: string;
  room: string;
  member: Member;
  topic: string | null;
  memberCount: number;
}

/**
 * Events between server nodes (through the Redis adapter), never seen by clients. Fire and
 * forget: nothing waits for other nodes to answer.
 */
export interface InterServerEvents {
  'presence:departed': (departures: AnnouncedDeparture[]) => void;
  'parley:broadcast': (broadcast: RelayedBroadcast) => void;
}

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

/** Socket.IO room of a chat room: prefixed so it can never collide with a socket's own room. */
export function roomChannel(room: string): string {
  return `room:${room}`;
}
