import { ServerEvent } from '@parley/protocol';
import type { ChatSession } from '../socket/session';
import { roomChannel } from '../socket/types';

/** Tells the room's other sockets whether this user is typing. */
export function announceTyping(session: ChatSession, room: string, typing: boolean): void {
  if (typing) {
    session.typingIn ??= new Set();
    session.typingIn.add(room);
  } else session.typingIn?.delete(room);
  session.socket
    .to(roomChannel(room))
    .volatile.emit(ServerEvent.TypingChanged, { room, user: session.user, typing });
}

/**
 * Ends a typing indicator the connection left on (it sent a message, left, or disconnected),
 * so nobody watches a ghost typing. Not volatile: this one must arrive.
 */
export function clearTyping(session: ChatSession, room: string): void {
  if (!session.typingIn?.delete(room)) return;
  session.socket.nsp
    .to(roomChannel(room))
    .except(session.socket.id)
    .emit(ServerEvent.TypingChanged, { room, user: session.user, typing: false });
}
