import {
  atLeast,
  ClientEvent,
  ErrorCode,
  LIMITS,
  type Member,
  membersHash,
  type PayloadOf,
  type Role,
  roomMatches,
} from '@parley/protocol';
import { ParleyError } from '../errors';
import { presenceModeOf } from '../presence/mode';
import { defineHandler } from '../socket/define-handler';
import type { ChatSession } from '../socket/session';
import { sharedList } from '../socket/shared-json';
import { LOBBY_CHANNEL } from '../socket/types';
import type { JoinHistoryQuery, RoomRecord, RoomRef, Stores } from '../stores/types';
import {
  announceRoom,
  type Entered,
  enterRoom,
  exitRoom,
  refOf,
  requireJoined,
  roleIn,
} from './membership';
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
 * Enters the room unless this socket is in it already (then answers undefined: a re-join).
 * A join of a room this socket is entering right now (the handshake's, a retry, a burst) waits
 * for that one to end, then is answered as what it found: a re-join if it got in, or an entry
 * of its own if it failed — never the room's contents on the strength of a join that may yet be
 * refused (once, a second join sent at once read a private room it could not enter).
 * The connection's room slot is taken before the first await, so concurrent joins cannot
 * overshoot its limit, and given back if the join does not happen.
 */
async function joinOnce(
  session: ChatSession,
  room: string,
  history: JoinHistoryQuery,
): Promise<Entered | undefined> {
  for (;;) {
    const inFlight = session.entering?.get(room);
    if (inFlight === undefined) break;
    // Its failure is its own join's answer; this one tries for itself.
    await inFlight.catch(() => undefined);
  }
  if (session.joined.has(room)) return undefined;
  if (!session.budget.reserveRoom()) {
    const max = session.services.config.limits.roomsPerConnection;
    throw new ParleyError(
      ErrorCode.Forbidden,
      `a connection may be in at most ${max} rooms at once; leave one first`,
      { reason: 'limit' },
    );
  }
  // Cleared before it settles, so whoever waits on it finds the room entered or not, no longer
  // being entered.
  const entering = enterRoom(session, room, {
    membersMax: LIMITS.joinMembersMax,
    history,
  }).finally(() => {
    session.entering?.delete(room);
    // An idle socket keeps no empty map: most join once and stay.
    if (session.entering?.size === 0) session.entering = undefined;
    if (!session.joined.has(room)) session.budget.releaseRoom();
  });
  session.entering ??= new Map();
  session.entering.set(room, entering);
  return entering;
}

/**
 * `membersHash` of a list the node holds, made once per list object: over Redis every join of a
 * room that did not change is answered the same list (the store keeps it until the room
 * changes); a list read afresh (the in-memory store, a room whose list is not held) is hashed
 * on each join that names one.
 */
const heldListHashes = new WeakMap<readonly Member[], string>();
function hashOfHeldList(list: readonly Member[]): string {
  let hash = heldListHashes.get(list);
  if (hash === undefined) {
    hash = membersHash(list);
    heldListHashes.set(list, hash);
  }
  return hash;
}

/** The room as a join answered again reads it: who is in it and how many, the room, its history. */
async function readAgain(stores: Stores, ref: RoomRef, query: JoinHistoryQuery) {
  const [members, count, record, history] = await Promise.all([
    stores.presence.members(ref, LIMITS.joinMembersMax),
    stores.presence.count(ref),
    stores.rooms.get(ref),
    stores.history.forJoin(ref, query),
  ]);
  return { presence: { members, count }, record, history };
}

/**
 * Enters the room and answers it: the latest page or what came after `since`, and who is there.
 * A first join reads it all in two steps: the admission, then the presence (with who is there),
 * the history and the room (after the admission, as the room may change meanwhile) together,
 * once the connection hears the room's broadcasts (`JoinStore.enter`). A join of a room the
 * connection is in already reads them again, each on its own.
 */
async function join(
  session: ChatSession,
  { room, since, sinceId, membersHash: heldHash }: PayloadOf<typeof ClientEvent.RoomJoin>,
) {
  const { stores } = session.services;
  const ref = refOf(session, room);
  // What came after `since` (unless the client must start over: too much was missed, or the
  // entry it has at `since` is not the one stored there), or the latest page.
  const query: JoinHistoryQuery = {
    since,
    sinceId,
    pageLimit: LIMITS.historyPageDefault,
    recoveryMax: LIMITS.recoveryMaxMessages,
  };
  const entered = (await joinOnce(session, room, query))?.room;
  const fromEntry = entered !== undefined;
  const { history, record, presence } = entered ?? (await readAgain(stores, ref, query));
  const { members: present, count } = presence;
  // A sample of a big room may miss the joiner, who expects to see themselves. The store's list
  // as it is otherwise: the same list answers every join of the room until it changes, its JSON
  // made once (shared-json.ts).
  const listed = present.some((member) => member.id === session.user.id);
  const members = listed
    ? sharedList(present)
    : [...present.slice(0, LIMITS.joinMembersMax - 1), session.user];
  const { recovered, page } = history;
  const messages = recovered ?? page.messages;
  const info = roomInfo(
    session,
    record,
    room,
    Math.max(count, members.length),
    history.lastSeq,
    session.joined.get(room) ?? null,
  );
  // The client holds this very list (a re-join where nobody came or went meanwhile): it is not
  // sent again. Only a whole list is compared (`members` presence, the store's list as it is):
  // the entry's list and count come from one read; otherwise they are read apart, and only a
  // list shorter than the most a join answers is surely not a sample.
  const whole = fromEntry ? present.length >= count : present.length < LIMITS.joinMembersMax;
  const unchanged =
    heldHash !== undefined &&
    info.presence === 'members' &&
    listed &&
    whole &&
    heldHash === hashOfHeldList(present);
  return {
    room: info,
    messages,
    ...(unchanged ? { members: [], membersUnchanged: true as const } : { members }),
    // After a recovery, older entries exist whenever the first one returned is not seq 1.
    hasMore: page ? page.hasMore : (messages[0]?.seq ?? (since ?? 0) + 1) > 1,
    recovered: recovered !== undefined,
  };
}
