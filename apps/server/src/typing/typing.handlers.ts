import { ClientEvent } from '@parley/protocol';
import { requireJoined } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';
import { announceTyping } from './typing';

export const typingHandlers = [
  defineHandler(ClientEvent.TypingSet, async (session, { room, typing }) => {
    requireJoined(session, room);
    announceTyping(session, room, typing);
    return {};
  }),
];
