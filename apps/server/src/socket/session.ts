import type { Member } from '@parley/protocol';
import type { Visitor } from '../access/room-access';
import type { Logger } from '../logger';
import type { Entered } from '../rooms/membership';
import type { Services } from '../services';
import { type ConnectionBudget, connectionBudget } from './connection-budget';
import { JoinedRooms } from './joined-rooms';
import type { ParleySocket } from './types';

/**
 * What the server knows about one connection while it lasts. A class, not an object literal
 * with a getter: V8 keeps such literals in dictionary mode, ≈ 450 bytes more per idle socket
 * (measured with heap snapshots of 2 000 sockets).
 */
export class ChatSession {
  readonly user: Member;
  readonly workspace: string;
  /** Rooms this connection has joined (names, not channels), with its role in each. */
  readonly joined = new JoinedRooms();
  /** Rooms a `room:join` is entering right now, each with its entry; made on first use. */
  entering?: Map<string, Promise<Entered>>;
  /**
   * Rooms where this connection said `typing: true`, with when that last went out; made on
   * first use (most connections never type).
   */
  typingIn?: Map<string, number>;
  /** What the connection under this socket may spend, shared with its other namespaces. */
  readonly budget: ConnectionBudget;
  private logger?: Logger;

  constructor(
    readonly socket: ParleySocket,
    readonly services: Services,
  ) {
    this.user = socket.data.user;
    this.workspace = socket.data.workspace;
    this.budget = connectionBudget(socket.conn, services.config.limits);
  }

  /** Who the connection is, as the access checks ask. */
  get visitor(): Visitor {
    const { admin, rooms } = this.socket.data;
    return { userId: this.user.id, user: this.user, admin, rooms };
  }

  /** Whether the token this socket connected with has expired since. */
  get expired(): boolean {
    return this.socket.data.expiresAt <= Date.now();
  }

  /** Made on first use: most connections never log, and a child logger per idle socket is memory for nothing. */
  get log(): Logger {
    this.logger ??= this.services.log.child({
      workspace: this.workspace,
      userId: this.user.id,
      socketId: this.socket.id,
    });
    return this.logger;
  }
}

const sessions = new WeakMap<ParleySocket, ChatSession>();

export function createSession(socket: ParleySocket, services: Services): ChatSession {
  const session = new ChatSession(socket, services);
  sessions.set(socket, session);
  return session;
}

/** The session of a socket this node serves (for changes decided elsewhere: removals, roles). */
export function sessionOf(socket: ParleySocket): ChatSession | undefined {
  return sessions.get(socket);
}
