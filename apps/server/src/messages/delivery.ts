import { ServerEvent } from '@parley/protocol';
import type { Services } from '../services';
import { namespacesOf } from '../socket/engine-internals';
import { type ParleyIo, roomChannel } from '../socket/types';
import type { RoomRef } from '../stores/types';

/**
 * Delivers every stored message to this node's sockets in the room, as the store announces it.
 * The store announces a room's messages in `seq` order on every node, so clients see them in
 * order even when several nodes store messages for the same room at once. The sending socket
 * is skipped: it has the message in its acknowledgement (its other tabs still get it).
 */
export function deliverStoredMessages(io: ParleyIo, { stores }: Services): void {
  // The local adapter's room map: a room is in it only while this node has sockets in it (a
  // workspace's namespace, only while it has sockets at all). Every other room's messages are
  // skipped by the store before it decodes them.
  const hasLocalSockets = ({ workspace, room }: RoomRef) =>
    namespacesOf(io).of(workspace)?.adapter.rooms.has(roomChannel(room)) ?? false;

  stores.history.onAppended(({ ref, message, origin }) => {
    const namespace = namespacesOf(io).of(ref.workspace);
    if (!namespace) return;
    const room = namespace.local.to(roomChannel(ref.room));
    (origin ? room.except(origin) : room).emit(ServerEvent.MessageNew, message);
  }, hasLocalSockets);
}
