import { ClientEvent, LIMITS } from '@parley/protocol';
import { refOf, requireJoined } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';

export const presenceHandlers = [
  // Who is in a joined room, a page at a time: how a room in `count` presence (too big to send
  // every arrival) shows its people, on demand.
  defineHandler(ClientEvent.PresenceList, async (session, { room, cursor, limit }) => {
    await requireJoined(session, room);
    const ref = refOf(session, room);
    const { presence } = session.services.stores;
    const [page, memberCount] = await Promise.all([
      presence.page(ref, cursor, limit ?? LIMITS.presencePageDefault),
      presence.count(ref),
    ]);
    return { ...page, memberCount };
  }),
];
