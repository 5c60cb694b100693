import { ServerEvent } from '@parley/protocol';
import { createRelay } from '../cluster/relay';
import { every } from '../every';
import type { Services } from '../services';
import { namespacesOf } from '../socket/engine-internals';
import {
  type AnnouncedDeparture,
  LOBBY_CHANNEL,
  type ParleyIo,
  roomChannel,
} from '../socket/types';
import { reportDeparture } from '../webhooks/presence-events';

export interface PresenceSweeper {
  stop(): void;
}

/**
 * Announces departures that no connection's handler could: users whose last connection was on a
 * node that died, or whose removal failed during a Redis outage. The store answers each
 * departure to one sweep on one node; that node tells its own sockets and every other node
 * (fire and forget), and each node tells its own sockets.
 */
export function startPresenceSweeper(
  io: ParleyIo,
  services: Services,
  { intervalMs, crossNode }: { intervalMs: number; crossNode: boolean },
): PresenceSweeper {
  const { stores, log } = services;
  const announce = createRelay(
    io,
    'presence:departed',
    (departures) => {
      for (const departure of departures) announceLocally(io, departure);
    },
    { crossNode },
  );

  async function sweep(): Promise<void> {
    const departures = await stores.presence.sweep();
    if (departures.length === 0) return;
    // This node alone got these departures, so it alone reports them to webhooks.
    for (const { ref, member } of departures) reportDeparture(services, ref, member);
    const announced = await Promise.all(
      departures.map(async ({ ref, member }): Promise<AnnouncedDeparture> => {
        const [record, memberCount] = await Promise.all([
          stores.rooms.get(ref),
          stores.presence.count(ref),
        ]);
        return {
          ...ref,
          member,
          topic: record?.topic ?? null,
          memberCount,
          visibility: record?.visibility ?? 'public',
          readOnly: record?.readOnly ?? false,
        };
      }),
    );
    log.info({ departures: announced.length }, 'announcing departures found by the sweep');
    announce(announced);
  }

  const stop = every(intervalMs, sweep, {
    track: services.track,
    onError: (error) => log.warn({ err: error }, 'presence sweep failed; will retry'),
  });
  return { stop };
}

function announceLocally(io: ParleyIo, departure: AnnouncedDeparture): void {
  const namespace = namespacesOf(io).of(departure.workspace);
  if (!namespace) return;
  const { room, member, topic, memberCount, visibility, readOnly } = departure;
  namespace.local.to(roomChannel(room)).emit(ServerEvent.PresenceLeft, { room, member });
  namespace.local
    .to(visibility === 'private' ? [roomChannel(room)] : [roomChannel(room), LOBBY_CHANNEL])
    .emit(ServerEvent.RoomUpdated, { room, topic, memberCount, visibility, readOnly });
}
