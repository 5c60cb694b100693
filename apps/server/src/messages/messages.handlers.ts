import { atLeast, ClientEvent, ErrorCode, LIMITS, type Role } from '@parley/protocol';
import { ParleyError } from '../errors';
import { refOf, requireJoined } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';
import type { ChatSession } from '../socket/session';
import type { Amended } from '../stores/types';
import { clearTyping } from '../typing/typing';
import { changeMessage, storeMessage } from './store-message';

export const messageHandlers = [
  defineHandler(ClientEvent.MessageSend, async (session, { room, text, clientMsgId }) => {
    const role = await requireJoined(session, room);
    const { limits } = session.services.config;
    // The user's bucket in this room is taken by the store in the same call as the append: a
    // send is one round trip to Redis, and an idempotent resend takes no token.
    const result = await storeMessage(
      session.services,
      refOf(session, room),
      { author: session.user, text, clientMsgId, origin: session.socket.id },
      { rates: limits.sendRates, mayPostReadOnly: atLeast(role, 'moderator') },
    );
    if ('readOnly' in result) {
      throw new ParleyError(
        ErrorCode.Forbidden,
        'this room is read-only: only its moderators and owners post',
        { reason: 'read_only' },
      );
    }
    if ('rateLimited' in result) {
      const why =
        result.scope === 'room'
          ? 'the room is taking too many messages from everyone; retry shortly'
          : 'sending too fast';
      throw new ParleyError(ErrorCode.RateLimited, why, { retryAfterMs: result.retryAfterMs });
    }
    // Everyone else in the room hears of it from the store (see delivery.ts), in seq order.
    if (result.created) clearTyping(session, room);
    return { message: result.message };
  }),

  defineHandler(ClientEvent.MessageHistory, async (session, { room, before, limit }) => {
    await requireJoined(session, room);
    return session.services.stores.history.page(refOf(session, room), {
      before,
      limit: limit ?? LIMITS.historyPageDefault,
    });
  }),

  defineHandler(ClientEvent.MessageEdit, async (session, { room, seq, id, text }) => {
    const role = await requireJoined(session, room);
    return acknowledged(await change(session, room, role, { seq, id }, 'edit', text));
  }),

  defineHandler(ClientEvent.MessageDelete, async (session, { room, seq, id }) => {
    const role = await requireJoined(session, room);
    return acknowledged(await change(session, room, role, { seq, id }, 'delete'));
  }),
];

/** The message as it is now, and the change entry's seq when this made one. */
function acknowledged({ message, change }: Amended) {
  return { message, ...(change && { changeSeq: change.seq }) };
}

/** An edit or deletion by this connection's user, with their role in the room as admitted. */
function change(
  session: ChatSession,
  room: string,
  role: Role | null,
  target: { seq: number; id: string },
  action: 'edit' | 'delete',
  text?: string,
) {
  return changeMessage(
    session.services,
    refOf(session, room),
    target,
    { member: session.user, moderates: atLeast(role, 'moderator'), origin: session.socket.id },
    action,
    text,
  );
}
