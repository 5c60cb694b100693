import {
  atLeast,
  ClientEvent,
  ErrorCode,
  type HistoryEntry,
  LIMITS,
  type PayloadOf,
  type Role,
  roomMatches,
} from '@parley/protocol';
import { ParleyError } from '../errors';
import { presenceModeOf } from '../presence/mode';
import { defineHandler } from '../socket/define-handler';
import type { ChatSession } from '../socket/session';
import { LOBBY_CHANNEL } from '../socket/types';
import type { HistoryStore, RoomRecord, RoomRef } from '../stores/types';
import { announceRoom, enterRoom, exitRoom, refOf, requireJoined, roleIn } from './membership';
import { roomDirectory } from './room-directory';

export const roomHandlers = [
  defineHandler(ClientEvent.RoomJoin, (session, payload) =>
    // A reconnect storm's joins meet the stores a few dozen at a time, the rest in turn.
    session.services.joinGate.run(() => join(session, payload)),
  ),

  defineHandler(ClientEvent.RoomLeave, async (session, { room }) => {
    await requireJoined(session, room);
    await exitRoom(session, room);
    return {};
  }),

  defineHandler(ClientEvent.RoomList, async (session, query) => {
    const { visitor } = session;
    // Asking for the list makes this socket a lobby: it hears every public room's count from now
    // on — unless a rooms claim confines it (it hears of the rooms it is in, as their member).
    if (!visitor.rooms || visitor.rooms.includes('*')) session.socket.join(LOBBY_CHANNEL);
    return roomDirectory(session.services.stores, session.workspace, query, {
      userId: visitor.userId,
      admin: visitor.admin,
      rooms: visitor.rooms,
    });
  }),

  defineHandler(ClientEvent.RoomCreate, async (session, { room, visibility, topic, readOnly }) => {
    const { roomCreation, stores } = session.services;
    const ref = refOf(session, room);
    const { visitor } = session;
    if (visitor.rooms && !roomMatches(visitor.rooms, room)) {
      throw new ParleyError(ErrorCode.Forbidden, 'your token does not open this room', {
        reason: 'token_rooms',
      });
    }
    const outcome = await roomCreation.create(ref, visitor, {
      visibility,
      readOnly,
      topic: topic ? topic : null,
    });
    const [record, owner] = await Promise.all([
      stores.rooms.get(ref),
      stores.members.get(ref, visitor.userId),
    ]);
    // A retry of one's own creation (its first answer lost, or `unavailable`) answers the room,
    // as it is, rather than `conflict`: creating is safe to repeat.
    const ownRetry = record?.visibility === visibility && owner?.role === 'owner';
    if (outcome === 'exists' && !ownRetry) {
      throw new ParleyError(ErrorCode.Conflict, `room "${room}" exists`);
    }
    const [memberCount, lastSeq] =
      outcome === 'created'
        ? [0, 0]
        : await Promise.all([stores.presence.count(ref), stores.history.lastSeq(ref)]);
    return { room: roomInfo(session, record, room, memberCount, lastSeq, 'owner') };
  }),

  defineHandler(ClientEvent.RoomUpdate, async (session, { room, topic, readOnly }) => {
    const { stores } = session.services;
    const ref = refOf(session, room);
    const role = await roleIn(session, room);
    if (!atLeast(role, 'moderator')) {
      throw new ParleyError(ErrorCode.Forbidden, 'only moderators and owners change a room', {
        reason: 'role',
      });
    }
    const record = await stores.rooms.update(ref, {
      topic: topic === undefined ? undefined : topic || null,
      readOnly,
    });
    if (!record) throw new ParleyError(ErrorCode.NotFound, `no room "${room}"`);
    announceRoom(session, room);
    const [memberCount, lastSeq] = await Promise.all([
      stores.presence.count(ref),
      stores.history.lastSeq(ref),
    ]);
    return { room: roomInfo(session, record, room, memberCount, lastSeq, role) };
  }),
];

/** A room as its events answer it. */
export function roomInfo(
  session: ChatSession,
  record: RoomRecord | undefined,
  name: string,
  memberCount: number,
  lastSeq: number,
  role: Role | null,
) {
  return {
    name,
    topic: record?.topic ?? null,
    memberCount,
    visibility: record?.visibility ?? 'public',
    readOnly: record?.readOnly ?? false,
    presence: presenceModeOf(memberCount, session.services.config.presence.membersMax),
    lastSeq,
    role,
  } as const;
}

/**
 * Enters the room unless this socket is in it or entering it already. The connection's room
 * slot is taken before the first await, so concurrent joins cannot overshoot its limit, and
 * given back if the join does not happen.
 */
async function joinOnce(session: ChatSession, room: string): Promise<void> {
  if (session.joined.has(room) || session.entering?.has(room)) return;
  if (!session.budget.reserveRoom()) {
    const max = session.services.config.limits.roomsPerConnection;
    throw new ParleyError(
      ErrorCode.Forbidden,
      `a connection may be in at most ${max} rooms at once; leave one first`,
      { reason: 'limit' },
    );
  }
  session.entering ??= new Set();
  session.entering.add(room);
  try {
    await enterRoom(session, room);
  } finally {
    session.entering.delete(room);
    // An idle socket keeps no empty set: most join once and stay.
    if (session.entering.size === 0) session.entering = undefined;
    if (!session.joined.has(room)) session.budget.releaseRoom();
  }
}

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
): Promise<HistoryEntry[] | undefined> {
  if (sinceId !== undefined && since > 0) {
    const { messages } = await history.page(ref, { before: since + 1, limit: 1 });
    const stored = messages[0];
    if (stored?.seq !== since || stored.id !== sinceId) return undefined;
  }
  return history.since(ref, since, LIMITS.recoveryMaxMessages);
}

/** Enters the room and answers it: the latest page or what came after `since`, and who is there. */
async function join(
  session: ChatSession,
  { room, since, sinceId }: PayloadOf<typeof ClientEvent.RoomJoin>,
) {
  const { stores } = session.services;
  await joinOnce(session, room);

  const ref = refOf(session, room);
  const recovered =
    since === undefined ? undefined : await recover(stores.history, ref, since, sinceId);
  const [page, members, memberCount, record, lastSeq] = await Promise.all([
    recovered ? undefined : stores.history.page(ref, { limit: LIMITS.historyPageDefault }),
    stores.presence.members(ref, LIMITS.joinMembersMax),
    stores.presence.count(ref),
    stores.rooms.get(ref),
    stores.history.lastSeq(ref),
  ]);
  // A sample of a big room may miss the joiner, who expects to see themselves.
  if (!members.some((member) => member.id === session.user.id)) {
    members.splice(LIMITS.joinMembersMax - 1, Number.POSITIVE_INFINITY, session.user);
  }
  const messages = recovered ?? page?.messages ?? [];
  return {
    room: roomInfo(
      session,
      record,
      room,
      Math.max(memberCount, members.length),
      lastSeq,
      session.joined.get(room) ?? null,
    ),
    messages,
    members,
    // After a recovery, older entries exist whenever the first one returned is not seq 1.
    hasMore: page ? page.hasMore : (messages[0]?.seq ?? (since ?? 0) + 1) > 1,
    recovered: recovered !== undefined,
  };
}
