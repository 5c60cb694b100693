import {
  type Member,
  type PresenceMode,
  ServerEvent,
  type ServerEventName,
  type ServerPayloadOf,
} from '@parley/protocol';

/** Where one user ended up within a window: arrived (`joined`) or gone. */
export interface PresenceChangeOf {
  member: Member;
  joined: boolean;
  /** The arriving connection: it knows it arrived (its join answer), so it is not told. */
  connectionId?: string;
}

type PresenceEvent = {
  [E in ServerEventName]: { event: E; payload: ServerPayloadOf<E>; except?: string };
}[
  | typeof ServerEvent.PresenceJoined
  | typeof ServerEvent.PresenceLeft
  | typeof ServerEvent.PresenceChanged];

/**
 * What a room's sockets are told of the arrivals and departures of one window. A lone change is
 * the v1 event (`presence:joined` / `presence:left`), as quiet rooms always had; several are one
 * `presence:changed`, so a burst costs each member one frame. A room in `count` presence is told
 * nothing here: its `room:updated` carries the count.
 */
export function presenceEvents(
  room: string,
  changes: Iterable<PresenceChangeOf>,
  mode: PresenceMode,
): PresenceEvent[] {
  if (mode === 'count') return [];
  const all = [...changes];
  const [only] = all;
  if (!only) return [];
  if (all.length === 1) {
    return only.joined
      ? [
          {
            event: ServerEvent.PresenceJoined,
            payload: { room, member: only.member },
            except: only.connectionId,
          },
        ]
      : [{ event: ServerEvent.PresenceLeft, payload: { room, member: only.member } }];
  }
  return [
    {
      event: ServerEvent.PresenceChanged,
      payload: {
        room,
        joined: all.filter((change) => change.joined).map((change) => change.member),
        left: all.filter((change) => !change.joined).map((change) => change.member),
      },
    },
  ];
}
