import type { Member } from '@parley/protocol';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { TokenBucket } from './token-bucket';
import type { ParleySocket } from './types';

/** What the server knows about one connection while it lasts. */
export interface ChatSession {
  socket: ParleySocket;
  user: Member;
  workspace: string;
  /** Rooms this connection has joined (names, not channels). */
  joined: Set<string>;
  /** Rooms where this connection last said `typing: true`. */
  typingIn: Set<string>;
  /** Flood guard over every event of this connection. */
  events: TokenBucket;
  services: Services;
  log: Logger;
}

export function createSession(socket: ParleySocket, services: Services): ChatSession {
  const { user, workspace } = socket.data;
  const { limits } = services.config;
  return {
    socket,
    user,
    workspace,
    joined: new Set(),
    typingIn: new Set(),
    events: new TokenBucket(limits.eventsPerSecond, limits.eventBurst),
    services,
    // Made on first use: most connections never log, and a child logger per idle socket is
    // memory for nothing.
    get log() {
      const log = services.log.child({ workspace, userId: user.id, socketId: socket.id });
      Object.defineProperty(this, 'log', { value: log });
      return log;
    },
  };
}
