import { ErrorCode, ServerEvent } from '@parley/protocol';
import { ParleyError } from '../socket/errors';
import type { ChatSession } from '../socket/session';
import { roomChannel } from '../socket/types';
import type { RoomRef } from '../stores/types';
import { clearTyping } from '../typing/typing';
import { reportArrival, reportDeparture } from '../webhooks/presence-events';

export function requireJoined(session: ChatSession, room: string): void {
  if (!session.joined.has(room)) {
    throw new ParleyError(ErrorCode.NotJoined, `join room "${room}" first`);
  }
}

export function refOf(session: ChatSession, room: string): RoomRef {
  return { workspace: session.workspace, room };
}

/**
 * Puts the connection in the room. Presence counts users: only a user's first connection
 * announces `presence:joined` and changes the room's online count.
 */
export async function enterRoom(session: ChatSession, room: string): Promise<void> {
  const { stores, roomCreation } = session.services;
  const ref = refOf(session, room);
  await roomCreation.open(ref, session.user.id);
  // The connection may have closed meanwhile, its cleanup already run: record nothing for it.
  if (!session.socket.connected) return;
  // Subscribe before anything is read, so no message falls between the read and the broadcast.
  session.socket.join(roomChannel(room));
  session.joined.add(room);
  let firstConnection: boolean;
  try {
    firstConnection = await stores.presence.add(ref, session.user, session.socket.id);
  } catch (error) {
    session.joined.delete(room);
    session.socket.leave(roomChannel(room));
    throw error;
  }
  if (firstConnection) {
    reportArrival(session.services, ref, session.user);
    session.socket
      .to(roomChannel(room))
      .emit(ServerEvent.PresenceJoined, { room, member: session.user });
    announceRoom(session, room);
  }
}

/** Takes the connection out of the room; the user's last connection announces `presence:left`. */
export async function exitRoom(session: ChatSession, room: string): Promise<void> {
  const { stores } = session.services;
  clearTyping(session, room);
  if (session.joined.delete(room)) session.budget.releaseRoom();
  session.socket.leave(roomChannel(room));
  const ref = refOf(session, room);
  const lastConnection = await stores.presence.remove(ref, session.user.id, session.socket.id);
  if (lastConnection) {
    // The room may be empty now: an unused one starts counting its idle time.
    session.services.track(
      stores.rooms.touch(ref).catch((error: unknown) => {
        session.log.debug({ err: error }, 'could not mark the room idle');
      }),
    );
    reportDeparture(session.services, ref, session.user);
    session.socket.nsp
      .to(roomChannel(room))
      .emit(ServerEvent.PresenceLeft, { room, member: session.user });
    announceRoom(session, room);
  }
}

/** The room's topic and online count go to the whole workspace, so lobbies stay live. */
export function announceRoom(session: ChatSession, room: string): void {
  session.services.roomAnnouncer.announce(session.socket.nsp, room);
}
