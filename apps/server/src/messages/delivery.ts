import { isChange, ServerEvent } from '@parley/protocol';
import type { Services } from '../services';
import { namespacesOf } from '../socket/engine-internals';
import { type ParleyIo, roomChannel } from '../socket/types';
import type { RoomRef } from '../stores/types';

/**
 * Delivers every entry stored in a room to this node's sockets in it, as the store announces
 * it: a message as `message:new`, an edit as `message:updated`, a deletion as `message:deleted`.
 * The store announces a room's entries in `seq` order on every node, so clients see them in
 * order even when several nodes store entries for the same room at once. The socket that caused
 * an entry is skipped: it has the result in its acknowledgement (its other tabs still get it).
 */
export function deliverStoredMessages(io: ParleyIo, { stores, metrics }: Services): void {
  // The local adapter's room map: a room is in it only while this node has sockets in it (a
  // workspace's namespace, only while it has sockets at all). Every other room's entries are
  // skipped by the store before it decodes them.
  const hasLocalSockets = ({ workspace, room }: RoomRef) =>
    namespacesOf(io).of(workspace)?.adapter.rooms.has(roomChannel(room)) ?? false;

  stores.history.onAppended(({ ref, entry, origin }) => {
    const namespace = namespacesOf(io).of(ref.workspace);
    if (!namespace) return;
    const channel = roomChannel(ref.room);
    const local = namespace.local.to(channel);
    const room = origin ? local.except(origin) : local;
    // Counted per broadcast, not per socket: the room's size (less the sender, when it is here).
    const sockets = namespace.adapter.rooms.get(channel);
    const size = sockets?.size ?? 0;
    metrics.fannedOut(origin && sockets?.has(origin) ? size - 1 : size);
    if (!isChange(entry)) {
      room.emit(ServerEvent.MessageNew, entry);
      return;
    }
    const { message, seq: changeSeq } = entry;
    if (entry.action === 'edit') room.emit(ServerEvent.MessageUpdated, { ...message, changeSeq });
    else {
      room.emit(ServerEvent.MessageDeleted, {
        room: message.room,
        id: message.id,
        seq: message.seq,
        changeSeq,
      });
    }
  }, hasLocalSockets);
}
