import { LIMITS, ServerEvent } from '@parley/protocol';
import type { ChatSession } from '../socket/session';
import { roomChannel } from '../socket/types';

/**
 * A `typing: true` repeated sooner than this after the last one that went out is not sent again:
 * receivers keep an indicator for `typingTimeoutMs`, and clients refresh every `typingRefreshMs`,
 * so one per half refresh is plenty, whatever a client sends per keystroke.
 */
const TYPING_RESEND_MS = LIMITS.typingRefreshMs / 2;

/** Tells the room's other sockets whether this user is typing. */
export function announceTyping(session: ChatSession, room: string, typing: boolean): void {
  if (typing) {
    session.typingIn ??= new Map();
    const now = Date.now();
    const last = session.typingIn.get(room);
    if (last !== undefined && now - last < TYPING_RESEND_MS) return;
    session.typingIn.set(room, now);
  } else if (!session.typingIn?.delete(room)) {
    // Not typing there as far as anyone was told: nothing to take back.
    return;
  }
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
