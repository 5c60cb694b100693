import { ClientEvent, ErrorCode, LIMITS } from '@parley/protocol';
import { refOf, requireJoined } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';
import { ParleyError } from '../socket/errors';
import { clearTyping } from '../typing/typing';
import { storeMessage } from './store-message';

export const messageHandlers = [
  defineHandler(ClientEvent.MessageSend, async (session, { room, text, clientMsgId }) => {
    requireJoined(session, room);
    const { stores } = session.services;
    const decision = await stores.messageRate.take(session.user.id);
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RateLimited, 'sending too fast', decision.retryAfterMs);
    }
    const { message, created } = await storeMessage(session.services, refOf(session, room), {
      author: session.user,
      text,
      clientMsgId,
      origin: session.socket.id,
    });
    // Everyone else in the room hears of it from the store (see delivery.ts), in seq order.
    if (created) clearTyping(session, room);
    return { message };
  }),

  defineHandler(ClientEvent.MessageHistory, async (session, { room, before, limit }) => {
    requireJoined(session, room);
    return session.services.stores.history.page(refOf(session, room), {
      before,
      limit: limit ?? LIMITS.historyPageDefault,
    });
  }),
];
