import { ServerEvent } from '@parley/protocol';
import { createRelay } from '../cluster/relay';
import { every } from '../every';
import type { Services } from '../services';
import { namespacesOf } from '../socket/engine-internals';
import { writesTogether } from '../socket/fast-path';
import {
  type AnnouncedDeparture,
  LOBBY_CHANNEL,
  type ParleyIo,
  roomChannel,
} from '../socket/types';
import { reportDeparture } from '../webhooks/presence-events';
import { presenceModeOf } from './mode';
import { presenceEvents } from './presence-events';

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
    (departures) => announceLocally(io, departures, services.config.presence.membersMax),
    { crossNode },
  );

  async function sweep(): Promise<void> {
    const departures = await stores.presence.sweep();
    if (departures.length === 0) return;
    // This node alone got these departures, so it alone reports them to webhooks.
    for (const { ref, member } of departures) reportDeparture(services, ref, member);
    const announced = await Promise.all(
      departures.map(async ({ ref, member }): Promise<AnnouncedDeparture> => {
        // Taken from the store already: a failed read must not lose the departure (a ghost in
        // every list until its members re-join), only the figures.
        const [record, memberCount] = await Promise.allSettled([
          stores.rooms.get(ref),
          stores.presence.count(ref),
        ]);
        const figures =
          record.status === 'fulfilled' && memberCount.status === 'fulfilled'
            ? {
                topic: record.value?.topic ?? null,
                memberCount: memberCount.value,
                visibility: record.value?.visibility ?? 'public',
                readOnly: record.value?.readOnly ?? false,
              }
            : null;
        return { ...ref, member, figures };
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

/**
 * Tells this node's sockets of the departures, room by room as the announcer would (one event per
 * room for any number of departures, none past the room's presence threshold), then the counts.
 */
function announceLocally(io: ParleyIo, departures: AnnouncedDeparture[], membersMax: number): void {
  const byRoom = new Map<string, AnnouncedDeparture[]>();
  for (const departure of departures) {
    const key = `${departure.workspace}\u0000${departure.room}`;
    byRoom.set(key, [...(byRoom.get(key) ?? []), departure]);
  }
  for (const group of byRoom.values()) {
    const { workspace, room } = group[0] as AnnouncedDeparture;
    const namespace = namespacesOf(io).of(workspace);
    if (!namespace) continue;
    // Read after every removal of the group, so the last figures read are as good as any.
    const figures = group.findLast((departure) => departure.figures)?.figures ?? null;
    // Figures unread: the departures go out as in a room that lists its members (one in
    // `count` presence drops them from its sample; its count comes with its next change).
    const presence = figures ? presenceModeOf(figures.memberCount, membersMax) : 'members';
    const changes = group.map(({ member }) => ({ member, joined: false }));
    // One update: each member's socket gets the departures and the figures in one write.
    writesTogether(() => {
      for (const { event, payload } of presenceEvents(room, changes, presence)) {
        namespace.local.to(roomChannel(room)).emit(event, payload as never);
      }
      if (!figures) return;
      namespace.local
        .to(
          figures.visibility === 'private'
            ? [roomChannel(room)]
            : [roomChannel(room), LOBBY_CHANNEL],
        )
        .emit(ServerEvent.RoomUpdated, { room, ...figures, presence });
    });
  }
}
