import type { WebhookEventType } from '@parley/protocol';
import { createMemoryTokenBuckets } from '../stores/memory/rate-limiter';

/** A presence event on its way to the queue, with the user who caused it. */
export interface PresenceEvent {
  type: Extract<
    WebhookEventType,
    'room.occupied' | 'room.vacated' | 'member.joined' | 'member.left'
  >;
  workspace: string;
  room: string;
  userId: string;
  /** Sends it (queues it for every endpoint). */
  send(): void;
}

export interface PresenceCounts {
  /** Events cancelled by their opposite before being sent (a join and a leave, say). */
  coalesced: number;
  /** Events dropped because their user caused too many (and the opposite of each). */
  overBudget: number;
}

export interface PresenceFilter {
  offer(event: PresenceEvent): void;
  /** Sends what is held now (shutdown). */
  flush(): void;
  stop(): void;
  readonly counts: Readonly<PresenceCounts>;
}

const OPPOSITE: Record<PresenceEvent['type'], PresenceEvent['type']> = {
  'member.joined': 'member.left',
  'member.left': 'member.joined',
  'room.occupied': 'room.vacated',
  'room.vacated': 'room.occupied',
};

/** Held events at most: past that the oldest go out early, so a flood cannot grow the map. */
const MAX_HELD = 10_000;

/**
 * Presence events are many and cheap to cause (join, leave, join…): they pass here before the
 * queue. Each is held for `coalesceMs`; its opposite arriving meanwhile (the same user leaving
 * the same room, the room emptying again) cancels both — a receiver's view is the same with or
 * without the pair. Each user may cause `perUserPerMinute` arrivals (`member.joined`,
 * `room.occupied`) on this node; past that their arrivals are dropped, and so is the departure
 * of each dropped one later: a receiver never sees a `member.left` whose `member.joined` it never
 * got, and never keeps a member who left. Everything is counted.
 */
export function createPresenceFilter({
  coalesceMs,
  perUserPerMinute,
}: {
  coalesceMs: number;
  perUserPerMinute: number;
}): PresenceFilter {
  const held = new Map<string, { event: PresenceEvent; at: number }>();
  const suppressed = new Map<string, PresenceEvent['type']>();
  const budgets = createMemoryTokenBuckets();
  const rate = { perSecond: perUserPerMinute / 60, burst: perUserPerMinute };
  const counts: PresenceCounts = { coalesced: 0, overBudget: 0 };

  const keyOf = ({ type, workspace, room, userId }: PresenceEvent) =>
    type.startsWith('member.')
      ? `m\u0000${workspace}\u0000${room}\u0000${userId}`
      : `r\u0000${workspace}\u0000${room}`;

  function release(now: number): void {
    for (const [key, { event, at }] of held) {
      if (at + coalesceMs > now && held.size <= MAX_HELD) break;
      held.delete(key);
      event.send();
    }
  }

  const timer =
    coalesceMs > 0
      ? setInterval(() => release(Date.now()), Math.max(coalesceMs / 2, 20))
      : undefined;
  timer?.unref();
  const sweeper = setInterval(() => budgets.sweep(), 60_000);
  sweeper.unref();

  return {
    counts,
    offer(event) {
      const key = keyOf(event);
      if (suppressed.get(key) === OPPOSITE[event.type]) {
        suppressed.delete(key);
        counts.overBudget++;
        return;
      }
      const pending = held.get(key);
      if (pending?.event.type === OPPOSITE[event.type]) {
        held.delete(key);
        counts.coalesced += 2;
        return;
      }
      // Only arrivals spend the budget: a departure whose arrival went out always goes too, or
      // the receiver would keep a ghost; departures are never more than the arrivals sent.
      const arrival = event.type === 'member.joined' || event.type === 'room.occupied';
      if (arrival && !budgets.take(`${event.workspace}\u0000${event.userId}`, rate).allowed) {
        suppressed.set(key, event.type);
        counts.overBudget++;
        return;
      }
      if (coalesceMs === 0) {
        event.send();
        return;
      }
      held.delete(key);
      held.set(key, { event, at: Date.now() });
      if (held.size > MAX_HELD) release(Date.now());
    },
    flush() {
      release(Number.POSITIVE_INFINITY);
    },
    stop() {
      clearInterval(timer);
      clearInterval(sweeper);
    },
  };
}
