import { chatNamespace, ServerEvent } from '@parley/protocol';
import type { Services } from '../services';
import { type ParleyIo, roomChannel } from '../socket/types';

/**
 * Delivers every stored message to this node's sockets in the room, as the store announces it.
 * The store announces a room's messages in `seq` order on every node, so clients see them in
 * order even when several nodes store messages for the same room at once. The sending socket
 * is skipped: it has the message in its acknowledgement (its other tabs still get it).
 */
export function deliverStoredMessages(io: ParleyIo, { stores }: Services): void {
  stores.history.onAppended(({ ref, message, origin }) => {
    // A workspace's namespace exists on a node only while it has sockets there.
    const namespace = io._nsps.get(chatNamespace(ref.workspace));
    if (!namespace) return;
    const room = namespace.local.to(roomChannel(ref.room));
    (origin ? room.except(origin) : room).emit(ServerEvent.MessageNew, message);
  });
}
