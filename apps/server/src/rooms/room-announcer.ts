import { ServerEvent, workspaceOfNamespace } from '@parley/protocol';
import { LOBBY_CHANNEL, type ParleyNamespace, roomChannel } from '../socket/types';
import type { Stores } from '../stores/types';

/**
 * Tells a room's members and the workspace's lobbies (sockets that listed its rooms) the room's
 * online count and topic, at most once per `intervalMs` per room: a join storm costs one
 * broadcast per room per interval, and the count is read when it is sent, so never stale.
 */
export interface RoomAnnouncer {
  announce(namespace: ParleyNamespace, room: string): void;
  /** From now on announce at once, and send what is waiting (the node is shutting down). */
  flushAll(): Promise<void>;
}

export function createRoomAnnouncer(
  stores: Pick<Stores, 'rooms' | 'presence'>,
  { intervalMs, track }: { intervalMs: number; track(work: Promise<unknown>): void },
): RoomAnnouncer {
  const waiting = new Map<string, { namespace: ParleyNamespace; room: string }>();
  let timer: NodeJS.Timeout | undefined;
  let immediate = false;

  async function send(namespace: ParleyNamespace, room: string): Promise<void> {
    const ref = { workspace: workspaceOfNamespace(namespace.name) ?? '', room };
    const [record, memberCount] = await Promise.all([
      stores.rooms.get(ref),
      stores.presence.count(ref),
    ]);
    if (!record) return;
    const { topic, visibility, readOnly } = record;
    // A private room's figures are its members' business: lobbies never hear of it.
    namespace
      .to(visibility === 'private' ? [roomChannel(room)] : [roomChannel(room), LOBBY_CHANNEL])
      .emit(ServerEvent.RoomUpdated, { room, topic, memberCount, visibility, readOnly });
  }

  async function flush(): Promise<void> {
    timer = undefined;
    const batch = [...waiting.values()];
    waiting.clear();
    await Promise.allSettled(batch.map(({ namespace, room }) => send(namespace, room)));
  }

  return {
    announce(namespace, room) {
      if (immediate) {
        track(send(namespace, room));
        return;
      }
      waiting.set(`${namespace.name}\u0000${room}`, { namespace, room });
      timer ??= setTimeout(() => track(flush()), intervalMs);
    },
    async flushAll() {
      immediate = true;
      clearTimeout(timer);
      await flush();
    },
  };
}
