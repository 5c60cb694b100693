import { ClientEvent, ErrorCode } from '@parley/protocol';
import { ParleyError } from '../errors';
import { requireJoined } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';
import { announceTyping } from './typing';

export const typingHandlers = [
  defineHandler(ClientEvent.TypingSet, async (session, { room, typing }) => {
    await requireJoined(session, room);
    // Each one fans out to the whole room: its own budget, inside the flood guard's.
    const waitMs = session.budget.typing.take();
    if (waitMs > 0) {
      throw new ParleyError(ErrorCode.RateLimited, 'typing too often', { retryAfterMs: waitMs });
    }
    announceTyping(session, room, typing);
    return {};
  }),
];
