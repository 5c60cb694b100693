import { ErrorCode, type Role } from '@parley/protocol';
import type { Admission } from '../access/room-access';
import { ParleyError } from '../errors';
import { announceArrival, depart } from '../presence/room-presence';
import type { ChatSession } from '../socket/session';
import { roomChannel } from '../socket/types';
import type { EnteredRoom, JoinHistoryQuery, RoomRef } from '../stores/types';
import { clearTyping } from '../typing/typing';

/**
 * The connection's role in a room it has joined. A room it has not joined answers `not_joined`
 * when it could join it, and `forbidden` when it could not — so a private room says nothing to
 * a non-member but that it may not.
 */
export async function requireJoined(session: ChatSession, room: string): Promise<Role | null> {
  const role = session.joined.get(room);
  if (role !== undefined) return role;
  const refused = await session.services.access.refusalOf(refOf(session, room), session.visitor);
  throw refused ?? new ParleyError(ErrorCode.NotJoined, `join room "${room}" first`);
}

/**
 * The user's role in a room, for judging what they may do there: as admitted, for a room the
 * connection is in (so a role the join hook granted counts, and changes reach it on every node),
 * else as stored (admins are owners; a rooms claim confines).
 */
export async function roleIn(session: ChatSession, room: string): Promise<Role | null> {
  const joined = session.joined.get(room);
  if (joined !== undefined) return joined;
  return session.services.access.roleOf(refOf(session, room), session.visitor);
}

export function refOf(session: ChatSession, room: string): RoomRef {
  return { workspace: session.workspace, room };
}

/** A connection that entered a room. */
export interface Entered {
  admission: Admission;
  /** What the join read once the connection heard the room; undefined when it closed meanwhile. */
  room?: EnteredRoom;
}

/**
 * Puts the connection in the room, if it may enter (creating the room when it is new and
 * creation is open: its creator owns it), and in its presence. Answers the room as entered, who
 * is there (up to `membersMax` of them) and its history (`history`), read once the connection
 * hears the room's broadcasts, in one step, so what it reads misses nothing the connection does
 * not hear of.
 */
export async function enterRoom(
  session: ChatSession,
  room: string,
  { membersMax, history }: { membersMax: number; history: JoinHistoryQuery },
): Promise<Entered> {
  const { access, roomCreation, stores } = session.services;
  const ref = refOf(session, room);
  let admission = await access.admit(ref, session.visitor);
  if (!admission.record) {
    await roomCreation.create(ref, session.visitor);
    // Made now, by this user or (a moment before) someone else: enter what is there.
    admission = await access.admit(ref, session.visitor);
  }
  // The connection may have closed meanwhile, its cleanup already run: record nothing for it.
  if (!session.socket.connected) return { admission };
  // Subscribe before anything is read, so no message falls between the read and the broadcast.
  session.socket.join(roomChannel(room));
  session.joined.set(room, admission.role);
  let entered: EnteredRoom;
  try {
    entered = await stores.joins.enter(
      ref,
      { member: session.user, connectionId: session.socket.id, membersMax },
      history,
    );
  } catch (error) {
    // Nothing was announced. What the store may have added, or may still add (a call that
    // missed its deadline goes on), it takes out itself once Redis answers, unless this
    // connection enters again first.
    stores.joins.abandon(ref, session.socket.id);
    session.joined.delete(room);
    session.socket.leave(roomChannel(room));
    throw error;
  }
  if (!session.socket.connected || !session.joined.has(room)) {
    // Left while the store was entering it (a `room:leave`, a removal, the connection closing):
    // that departure ran before this entry landed (a store that reads, then adds, gets the add
    // after the removal), so the entry is taken out again here, and nobody is told it arrived.
    await depart(
      session,
      ref,
      session.socket.connected ? 0 : session.services.config.presence.graceMs,
    );
    throw new ParleyError(ErrorCode.NotJoined, `left room "${room}" while joining it`);
  }
  if (entered.presence.arrived) announceArrival(session, ref);
  return { admission, room: entered };
}

/**
 * Takes the connection out of the room (see `depart` for the grace of a dropped connection).
 */
export async function exitRoom(
  session: ChatSession,
  room: string,
  { graceMs = 0, byNodeStop = false }: { graceMs?: number; byNodeStop?: boolean } = {},
): Promise<void> {
  clearTyping(session, room);
  // A room still being entered gives its slot back when its join ends (rooms.handlers.ts).
  if (session.joined.delete(room) && !session.entering?.has(room)) session.budget.releaseRoom();
  session.socket.leave(roomChannel(room));
  await depart(session, refOf(session, room), graceMs, { byNodeStop });
}

/** The room's topic and online count go to the whole workspace, so lobbies stay live. */
export function announceRoom(session: ChatSession, room: string): void {
  session.services.roomAnnouncer.announce(session.socket.nsp, room);
}
