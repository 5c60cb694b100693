import { type MembershipChange, ServerEvent } from '@parley/protocol';
import { createRelay } from '../cluster/relay';
import type { Logger } from '../logger';
import { exitRoom } from '../rooms/membership';
import type { MembershipChanges } from '../services';
import { namespacesOf } from '../socket/engine-internals';
import { sessionOf } from '../socket/session';
import { type ParleyIo, roomChannel } from '../socket/types';
import type { RoomRef } from '../stores/types';

export function createMembershipChanges(
  io: ParleyIo,
  {
    crossNode,
    log,
    track,
    forget,
  }: {
    crossNode: boolean;
    log: Logger;
    track(work: Promise<unknown>): void;
    /** Drops this node's cached join-hook answer for a removed user: it would let them back. */
    forget(ref: RoomRef, userId: string): void;
  },
): MembershipChanges {
  const applyLocally = (change: MembershipChange) => {
    if (change.kind === 'removed') {
      forget({ workspace: change.workspace, room: change.room }, change.userId);
    }
    const namespace = namespacesOf(io).of(change.workspace);
    if (!namespace) return;
    if (change.kind === 'role') {
      // Every socket of the namespace is looked at: role changes are rare, people-made acts,
      // and a socket that has not joined the room must hear of it too.
      for (const socket of namespace.sockets.values()) {
        const session = sessionOf(socket);
        if (!session || session.user.id !== change.userId) continue;
        // An admin stays owner whatever role is stored for them.
        const role = session.visitor.admin ? 'owner' : change.told.role;
        if (session.joined.has(change.room)) session.joined.set(change.room, role);
        socket.emit(ServerEvent.RoomRole, { ...change.told, role });
      }
      return;
    }
    const ids = namespace.adapter.rooms.get(roomChannel(change.room));
    if (!ids) return;
    for (const id of [...ids]) {
      const socket = namespace.sockets.get(id);
      const session = socket && sessionOf(socket);
      if (!session || session.user.id !== change.userId || !session.joined.has(change.room)) {
        continue;
      }
      const { room, reason, until } = change;
      track(
        exitRoom(session, room)
          .catch((error: unknown) =>
            log.warn({ err: error, room }, 'removal: presence not cleared'),
          )
          .finally(() => socket.emit(ServerEvent.RoomRemoved, { room, reason, until })),
      );
    }
  };
  return { apply: createRelay(io, 'parley:membership', applyLocally, { crossNode }) };
}
