import type { Member } from '@parley/protocol';
import type { Services } from '../services';
import type { ChatSession } from '../socket/session';
import type { ParleyNamespace } from '../socket/types';
import type { RoomRef } from '../stores/types';
import { reportArrival, reportDeparture } from '../webhooks/presence-events';

/**
 * Who is in a room, as everyone sees it: presence counts users, not connections, so only a user's
 * first connection arrives (told to the room by the announcer, batched per room, with the online
 * count; `member.joined` to webhooks) and only the last one departs. Departures no handler could announce (a dead node, an outage) are the
 * sweeper's (sweeper.ts).
 */

/**
 * The user just arrived in the room (their first connection there, `PresenceStore.enter`): the
 * room is told (by the announcer, batched per room, with the online count) and the webhooks.
 */
export function announceArrival(session: ChatSession, ref: RoomRef): void {
  reportArrival(session.services, ref, session.user);
  session.services.roomAnnouncer.arrived(
    session.socket.nsp,
    ref.room,
    session.user,
    session.socket.id,
  );
}

/**
 * Takes the connection out of the room's presence; the user's last connection announces
 * `presence:left`. With `graceMs` (a connection that dropped, rather than one that left), the user
 * still counts for that long: back by then on any node (a reload, a move during a drain), nobody
 * hears of it; otherwise their departure is announced when it ends (by this node, or by a sweep
 * on any node). `byNodeStop`: closed by this node's stop over shared stores, whose presence store
 * takes every such connection out at once (`RedisPresenceStore.stop`): nothing to do here.
 */
export async function depart(
  session: ChatSession,
  ref: RoomRef,
  graceMs: number,
  { byNodeStop = false }: { byNodeStop?: boolean } = {},
): Promise<void> {
  if (byNodeStop) return;
  const { services } = session;
  const { nsp } = session.socket;
  const userId = session.user.id;
  const removal = await services.stores.presence.remove(ref, userId, session.socket.id, graceMs);
  if (removal === 'left') announceDeparture(services, nsp, ref, session.user);
  if (removal !== 'leaving') return;
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
  services.roomAnnouncer.departed(nsp, ref.room, member);
}
