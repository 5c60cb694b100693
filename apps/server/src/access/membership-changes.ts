import { type MembershipChange, ServerEvent } from '@parley/protocol';
import type { Logger } from '../logger';
import { exitRoom } from '../rooms/membership';
import { namespacesOf } from '../socket/engine-internals';
import { sessionOf } from '../socket/session';
import { type ParleyIo, roomChannel } from '../socket/types';

export interface MembershipChanges {
  /**
   * Applies a change to every socket of the user in the room, on this node and (relayed, fire
   * and forget) on every other: a removal makes each leave the room, told why; a role change
   * is what their next send in a read-only room is judged by.
   */
  apply(change: MembershipChange): void;
}

export function createMembershipChanges(
  io: ParleyIo,
  {
    crossNode,
    log,
    track,
  }: { crossNode: boolean; log: Logger; track(work: Promise<unknown>): void },
): MembershipChanges {
  const applyLocally = (change: MembershipChange) => {
    const namespace = namespacesOf(io).of(change.workspace);
    const ids = namespace?.adapter.rooms.get(roomChannel(change.room));
    if (!namespace || !ids) return;
    for (const id of [...ids]) {
      const socket = namespace.sockets.get(id);
      const session = socket && sessionOf(socket);
      if (!session || session.user.id !== change.userId || !session.joined.has(change.room)) {
        continue;
      }
      if (change.kind === 'role') {
        session.joined.set(change.room, change.role);
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
  if (crossNode) io.on('parley:membership', applyLocally);
  return {
    apply(change) {
      applyLocally(change);
      if (crossNode) io.serverSideEmit('parley:membership', change);
    },
  };
}
