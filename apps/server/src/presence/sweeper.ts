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
    // Read after every removal of the group, so the last figures are as good as any.
    const last = group[group.length - 1] as AnnouncedDeparture;
    const namespace = namespacesOf(io).of(last.workspace);
    if (!namespace) continue;
    const { room, topic, memberCount, visibility, readOnly } = last;
    const presence = presenceModeOf(memberCount, membersMax);
    const changes = group.map(({ member }) => ({ member, joined: false }));
    const figures = { room, topic, memberCount, visibility, readOnly, presence };
    // One update: each member's socket gets the departures and the figures in one write.
    writesTogether(() => {
      for (const { event, payload } of presenceEvents(room, changes, presence)) {
        namespace.local.to(roomChannel(room)).emit(event, payload as never);
      }
      namespace.local
        .to(visibility === 'private' ? [roomChannel(room)] : [roomChannel(room), LOBBY_CHANNEL])
        .emit(ServerEvent.RoomUpdated, figures);
    });
  }
}
