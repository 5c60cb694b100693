import { ClientEvent, ErrorCode, LIMITS } from '@parley/protocol';
import { refOf, requireJoined } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';
import { ParleyError } from '../socket/errors';
import { clearTyping } from '../typing/typing';
import { storeMessage } from './store-message';

export const messageHandlers = [
  defineHandler(ClientEvent.MessageSend, async (session, { room, text, clientMsgId }) => {
    requireJoined(session, room);
    const { limits } = session.services.config;
    // The user's bucket in this room is taken by the store in the same call as the append: a
    // send is one round trip to Redis, and an idempotent resend takes no token.
    const result = await storeMessage(
      session.services,
      refOf(session, room),
      { author: session.user, text, clientMsgId, origin: session.socket.id },
      limits.sendRates,
    );
    if ('rateLimited' in result) {
      const why =
        result.scope === 'room'
          ? 'the room is taking too many messages from everyone; retry shortly'
          : 'sending too fast';
      throw new ParleyError(ErrorCode.RateLimited, why, result.retryAfterMs);
    }
    // Everyone else in the room hears of it from the store (see delivery.ts), in seq order.
    if (result.created) clearTyping(session, room);
    return { message: result.message };
  }),

  defineHandler(ClientEvent.MessageHistory, async (session, { room, before, limit }) => {
    requireJoined(session, room);
    return session.services.stores.history.page(refOf(session, room), {
      before,
      limit: limit ?? LIMITS.historyPageDefault,
    });
  }),
];
