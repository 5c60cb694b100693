/**
 * Puts a room's entries back in `seq` order when they may be heard out of it: with replicated
 * acknowledgements (REDIS_WAIT_REPLICAS) each node publishes an entry only once replicas have it,
 * so two nodes storing seq 5 and 6 at once may publish 6 first. An entry that comes early waits,
 * at most `windowMs`, for those before it; then it goes on regardless (a client fills a gap from
 * history, as after any loss).
 */
export interface InSeqOrder<T> {
  offer(room: string, seq: number, entry: T): void;
  stop(): void;
}

interface RoomOrder<T> {
  /** The highest seq delivered. */
  last: number;
  held: Map<number, T>;
  timer?: NodeJS.Timeout;
  heardAt: number;
}

/** Rooms not heard from for this long are forgotten: the next entry goes straight through. */
const FORGET_AFTER_MS = 60_000;

export function inSeqOrder<T>(
  deliver: (entry: T) => void,
  { windowMs }: { windowMs: number },
): InSeqOrder<T> {
  const rooms = new Map<string, RoomOrder<T>>();

  const flush = (order: RoomOrder<T>, everything: boolean) => {
    for (;;) {
      const next = order.held.get(order.last + 1);
      if (next !== undefined) {
        order.held.delete(order.last + 1);
        order.last += 1;
        deliver(next);
        continue;
      }
      if (!everything || order.held.size === 0) break;
      // The window is over: whatever is missing is not waited for any longer.
      order.last = Math.min(...order.held.keys()) - 1;
    }
    if (order.held.size === 0) {
      clearTimeout(order.timer);
      order.timer = undefined;
    }
  };

  const forgetting = setInterval(() => {
    const before = Date.now() - FORGET_AFTER_MS;
    for (const [room, order] of rooms) {
      if (order.heardAt < before && order.held.size === 0) rooms.delete(room);
    }
  }, FORGET_AFTER_MS);
  forgetting.unref();

  return {
    offer(room, seq, entry) {
      const order = rooms.get(room);
      if (!order) {
        rooms.set(room, { last: seq, held: new Map(), heardAt: Date.now() });
        deliver(entry);
        return;
      }
      order.heardAt = Date.now();
      if (seq <= order.last + 1) {
        // Next in line (or one that came after the window gave up on it: late, but not lost).
        order.last = Math.max(order.last, seq);
        deliver(entry);
        flush(order, false);
        return;
      }
      order.held.set(seq, entry);
      order.timer ??= setTimeout(() => flush(order, true), windowMs);
    },
    stop() {
      clearInterval(forgetting);
      for (const order of rooms.values()) clearTimeout(order.timer);
    },
  };
}
