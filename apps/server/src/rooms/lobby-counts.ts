import { ServerEvent } from '@parley/protocol';
import { LOBBY_CHANNEL, type ParleyNamespace, roomChannel } from '../socket/types';
import type { RoomFigures } from './room-figures';

/**
 * A public room's figures as lobbies (sockets that listed the workspace's rooms) hear them: at
 * most once per `intervalMs` per room, the latest figures. A lobby shows many rooms, so it need
 * not follow each as closely as the room's own members do (the announcer's windows); what the
 * room's members hear, lobbies that are not in it hear at this pace. A quiet room's change goes
 * out at once; what is offered within the interval after it, at its end — read again then
 * (`reread`): figures held for a second were stale by then whenever the room changed on another
 * node meanwhile, and lobbies kept the stale count after that node's own, newer one.
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

export function createLobbyCounts({
  intervalMs,
  reread,
  track,
}: {
  intervalMs: number;
  /** The room's figures now; the held ones are sent if this fails, none if the room is gone. */
  reread(namespace: ParleyNamespace, room: string): Promise<RoomFigures | undefined>;
  track(work: Promise<unknown>): void;
}): LobbyCounts {
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
      const held = pending?.figures;
      if (!pending || !held) return;
      // Offers meanwhile wait for the next interval, which starts now.
      open(key, pending.namespace);
      const sent = reread(pending.namespace, held.room)
        .catch(() => held)
        .then((figures) => {
          if (figures?.visibility === 'public') send(pending.namespace, figures);
        });
      track(sent);
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
