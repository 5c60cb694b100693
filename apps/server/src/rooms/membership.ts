import { ErrorCode, type Member, type Role, ServerEvent } from '@parley/protocol';
import type { Admission } from '../access/room-access';
import { ParleyError } from '../errors';
import type { Services } from '../services';
import type { ChatSession } from '../socket/session';
import { type ParleyNamespace, roomChannel } from '../socket/types';
import type { RoomRef } from '../stores/types';
import { clearTyping } from '../typing/typing';
import { reportArrival, reportDeparture } from '../webhooks/presence-events';

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

/**
 * Puts the connection in the room, if it may enter (creating the room when it is new and
 * creation is open: its creator owns it). Presence counts users: only a user's first connection
 * announces `presence:joined` and changes the room's online count. Answers the room as entered.
 */
export async function enterRoom(session: ChatSession, room: string): Promise<Admission> {
  const { stores, access, roomCreation } = session.services;
  const ref = refOf(session, room);
  let admission = await access.admit(ref, session.visitor);
  if (!admission.record) {
    await roomCreation.create(ref, session.visitor);
    // Made now, by this user or (a moment before) someone else: enter what is there.
    admission = await access.admit(ref, session.visitor);
  }
  // The connection may have closed meanwhile, its cleanup already run: record nothing for it.
  if (!session.socket.connected) return admission;
  // Subscribe before anything is read, so no message falls between the read and the broadcast.
  session.socket.join(roomChannel(room));
  session.joined.set(room, admission.role);
  let firstConnection: boolean;
  try {
    firstConnection = await stores.presence.add(ref, session.user, session.socket.id);
  } catch (error) {
    session.joined.delete(room);
    session.socket.leave(roomChannel(room));
    throw error;
  }
  if (firstConnection) {
    reportArrival(session.services, ref, session.user);
    session.socket
      .to(roomChannel(room))
      .emit(ServerEvent.PresenceJoined, { room, member: session.user });
    announceRoom(session, room);
  }
  return admission;
}

/**
 * Takes the connection out of the room; the user's last connection announces `presence:left`.
 * With `graceMs` (a connection that dropped, rather than one that left), the user still counts
 * for that long: back by then on any node (a reload, a move during a drain), nobody hears of it;
 * otherwise their departure is announced when it ends.
 */
export async function exitRoom(
  session: ChatSession,
  room: string,
  { graceMs = 0 }: { graceMs?: number } = {},
): Promise<void> {
  const { services } = session;
  clearTyping(session, room);
  if (session.joined.delete(room)) session.budget.releaseRoom();
  session.socket.leave(roomChannel(room));
  const ref = refOf(session, room);
  const { nsp } = session.socket;
  const removal = await services.stores.presence.remove(
    ref,
    session.user.id,
    session.socket.id,
    graceMs,
  );
  if (removal === 'left') announceDeparture(services, nsp, ref, session.user);
  if (removal === 'leaving') {
    const userId = session.user.id;
    services.track(
      new Promise((resolve) => setTimeout(resolve, graceMs))
        .then(() => services.stores.presence.settle(ref, userId))
        .then((member) => member && announceDeparture(services, nsp, ref, member))
        // Not settled here, it is settled by a sweep (on any node) once the store answers.
        .catch((error: unknown) => {
          if (!services.outage.failed('presence grace', error)) {
            services.log.error({ err: error, ...ref }, 'ending a presence grace failed');
          }
        }),
    );
  }
}

/** A user left the room: the room's sockets, its watchers and the webhooks are told. */
function announceDeparture(
  services: Services,
  nsp: ParleyNamespace,
  ref: RoomRef,
  member: Member,
): void {
  // The room may be empty now: an unused one starts counting its idle time.
  services.track(
    services.stores.rooms.touch(ref).catch((error: unknown) => {
      services.log.debug({ err: error }, 'could not mark the room idle');
    }),
  );
  reportDeparture(services, ref, member);
  nsp.to(roomChannel(ref.room)).emit(ServerEvent.PresenceLeft, { room: ref.room, member });
  services.roomAnnouncer.announce(nsp, ref.room);
}

/** The room's topic and online count go to the whole workspace, so lobbies stay live. */
export function announceRoom(session: ChatSession, room: string): void {
  session.services.roomAnnouncer.announce(session.socket.nsp, room);
}
