import type { ServerPayloadOf } from '@parley/protocol';
import { ServerEvent } from '@parley/protocol';
import { LOBBY_CHANNEL, type ParleyNamespace, roomChannel } from '../socket/types';

type RoomFigures = ServerPayloadOf<typeof ServerEvent.RoomUpdated>;

/**
 * A public room's figures as lobbies (sockets that listed the workspace's rooms) hear them: at
 * most once per `intervalMs` per room, the latest figures. A lobby shows many rooms, so it need
 * not follow each as closely as the room's own members do (the announcer's windows); what the
 * room's members hear, lobbies that are not in it hear at this pace. A quiet room's change goes
 * out at once; the figures offered within the interval after it, at its end.
 */
export interface LobbyCounts {
  offer(namespace: ParleyNamespace, figures: RoomFigures): void;
  /** From now on send at once, and send what is waiting (the node is shutting down). */
  flushAll(): void;
}

interface Pending {
  namespace: ParleyNamespace;
  figures?: RoomFigures;
  timer: NodeJS.Timeout;
}

export function createLobbyCounts({ intervalMs }: { intervalMs: number }): LobbyCounts {
  const rooms = new Map<string, Pending>();
  let immediate = false;

  function send(namespace: ParleyNamespace, figures: RoomFigures): void {
    // The room's own sockets heard it from the announcer already.
    namespace
      .to(LOBBY_CHANNEL)
      .except(roomChannel(figures.room))
      .emit(ServerEvent.RoomUpdated, figures);
  }

  function open(key: string, namespace: ParleyNamespace): void {
    const timer = setTimeout(() => {
      const pending = rooms.get(key);
      rooms.delete(key);
      if (pending?.figures) {
        send(pending.namespace, pending.figures);
        open(key, pending.namespace);
      }
    }, intervalMs);
    rooms.set(key, { namespace, timer });
  }

  return {
    offer(namespace, figures) {
      if (immediate) {
        send(namespace, figures);
        return;
      }
      const key = `${namespace.name}\u0000${figures.room}`;
      const pending = rooms.get(key);
      if (pending) {
        pending.figures = figures;
        return;
      }
      send(namespace, figures);
      open(key, namespace);
    },
    flushAll() {
      immediate = true;
      for (const pending of rooms.values()) {
        clearTimeout(pending.timer);
        if (pending.figures) send(pending.namespace, pending.figures);
      }
      rooms.clear();
    },
  };
}
