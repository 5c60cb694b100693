import { ClientEvent, ErrorCode, LIMITS, type Message } from '@parley/protocol';
import { defineHandler } from '../socket/define-handler';
import { ParleyError } from '../socket/errors';
import { LOBBY_CHANNEL } from '../socket/types';
import type { HistoryStore, RoomRef } from '../stores/types';
import { enterRoom, exitRoom, refOf, requireJoined } from './membership';
import { roomDirectory } from './room-directory';

export const roomHandlers = [
  defineHandler(ClientEvent.RoomJoin, async (session, { room, since, sinceId }) => {
    const { stores, config } = session.services;
    if (!session.joined.has(room) && session.joined.size >= config.limits.roomsPerSocket) {
      throw new ParleyError(
        ErrorCode.Forbidden,
        `a connection may join at most ${config.limits.roomsPerSocket} rooms; leave one first`,
      );
    }
    if (!session.joined.has(room)) await enterRoom(session, room);

    const ref = refOf(session, room);
    const recovered =
      since === undefined ? undefined : await recover(stores.history, ref, since, sinceId);
    const [page, members, record, lastSeq] = await Promise.all([
      recovered ? undefined : stores.history.page(ref, { limit: LIMITS.historyPageDefault }),
      stores.presence.members(ref),
      stores.rooms.get(ref),
      stores.history.lastSeq(ref),
    ]);
    const messages = recovered ?? page?.messages ?? [];
    return {
      room: { name: room, topic: record?.topic ?? null, memberCount: members.length, lastSeq },
      messages,
      members,
      // After a recovery, older messages exist whenever the first one returned is not seq 1.
      hasMore: page ? page.hasMore : (messages[0]?.seq ?? (since ?? 0) + 1) > 1,
      recovered: recovered !== undefined,
    };
  }),

  defineHandler(ClientEvent.RoomLeave, async (session, { room }) => {
    requireJoined(session, room);
    await exitRoom(session, room);
    return {};
  }),

  defineHandler(ClientEvent.RoomList, async (session) => {
    // Asking for the list makes this socket a lobby: it hears every room's count from now on.
    session.socket.join(LOBBY_CHANNEL);
    return { rooms: await roomDirectory(session.services.stores, session.workspace) };
  }),
];

/**
 * What came after `since`, or undefined when the client must start over: too much was missed,
 * or the message the client has at `since` is not the one stored there (the history was reset
 * and its numbering started again).
 */
async function recover(
  history: HistoryStore,
  ref: RoomRef,
  since: number,
  sinceId: string | undefined,
): Promise<Message[] | undefined> {
  if (sinceId !== undefined && since > 0) {
    const { messages } = await history.page(ref, { before: since + 1, limit: 1 });
    const stored = messages[0];
    if (stored?.seq !== since || stored.id !== sinceId) return undefined;
  }
  return history.since(ref, since, LIMITS.recoveryMaxMessages);
}
