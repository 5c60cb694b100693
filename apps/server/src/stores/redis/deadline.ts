import { checkPeriodFor, createFreeTime } from '../../free-time';
import { StoreUnavailableError } from '../errors';

/**
 * A deadline for Redis calls that node-redis does not give: its command timeout covers a command
 * only until it is written, and a Redis that stops answering (paused, or cut off by a partition
 * that sends no reset) leaves written commands waiting for ever. Every store call goes through
 * `within`, so a request path answers `unavailable` in `ms` whatever Redis does — `ms` of time the
 * node itself was free to hear the answer: its own long turns do not count (a busy node's calls
 * expire later, never early).
 *
 * The call itself is not cancelled: Redis may still carry it out after the caller was told
 * `unavailable`, which is why that answer means "outcome unknown" (a message resent with the same
 * `clientMsgId` answers the original if it was stored).
 */
export interface Deadline {
  readonly ms: number;
  /**
   * `call`, or `unavailable` once it misses the deadline; with `watch`, its failures mapped and
   * its duration told in the same step, so a caller chains no promise of its own (every store
   * call of every join comes through here).
   */
  within<T>(call: Promise<T>, what: string, watch?: CallWatch): Promise<T>;
}

/** What a caller of `within` adds to a call. */
export interface CallWatch {
  /** What a call that failed (not one that missed the deadline) is rejected with instead. */
  failure(error: unknown): unknown;
  /** Told once how long the call took, answered, failed or expired (metrics). */
  took?: (seconds: number) => void;
}

interface Pending {
  /** Wall-clock time past which the call is overdue… */
  at: number;
  /** …once the loop has also been free this long since it started (free-time.ts). */
  countedAt: number;
  what: string;
  watch: CallWatch | undefined;
  /** performance.now() at the start, when the watch is told how long the call took. */
  startedAt: number;
  reject(error: unknown): void;
}

/**
 * All calls share one deadline, so they expire in the order they started: one interval walks the
 * oldest (in a Set, which keeps insertion order) and stops at the first still in time — O(1) a
 * call, no timer each.
 */
export function createDeadline(ms: number, onMissed: (what: string) => void): Deadline {
  const pending = new Set<Pending>();
  let ticking: NodeJS.Timeout | undefined;
  // Only the time the node was free to hear the reply counts (free-time.ts): a turn it spends on
  // its own work is not time Redis failed to answer in.
  const time = createFreeTime(checkPeriodFor(ms));
  // Timers run before the loop reads its sockets: after a long turn, replies that arrived
  // meanwhile are still unread when the interval finds their calls overdue. So what it finds
  // overdue expires one step later (setImmediate: after this turn's reads), and only a call still
  // unanswered then is declared missed.
  const stopWhenIdle = () => {
    if (pending.size === 0 && ticking) {
      clearInterval(ticking);
      ticking = undefined;
    }
  };
  /**
   * Ends the call's wait with `settle` (false when it had ended already: expired, or answered),
   * then tells the watch how long it took — after, and never throwing: a metric's failure must
   * not leave a call unsettled, nor end the process from the interval's step.
   */
  const end = (entry: Pending, settle: () => void): boolean => {
    if (!pending.delete(entry)) return false;
    settle();
    const took = entry.watch?.took;
    if (took) {
      try {
        took((performance.now() - entry.startedAt) / 1000);
      } catch {
        // The duration goes untold; the call is answered all the same.
      }
    }
    return true;
  };
  const expire = (entry: Pending) =>
    end(entry, () => {
      onMissed(entry.what);
      entry.reject(
        new StoreUnavailableError(
          `${entry.what}: Redis did not answer within ${ms} ms; the outcome is unknown`,
        ),
      );
    });
  const tick = () => {
    const now = Date.now();
    const counted = time.tick(now);
    const overdue: Pending[] = [];
    for (const entry of pending) {
      if (entry.at > now || entry.countedAt > counted) break;
      overdue.push(entry);
    }
    if (overdue.length === 0) return stopWhenIdle();
    setImmediate(() => {
      for (const entry of overdue) expire(entry);
      stopWhenIdle();
    });
  };
  return {
    ms,
    within<T>(call: Promise<T>, what: string, watch?: CallWatch) {
      return new Promise<T>((resolve, reject) => {
        const entry: Pending = {
          at: Date.now() + ms,
          countedAt: time.counted + ms,
          what,
          watch,
          startedAt: watch?.took ? performance.now() : 0,
          reject,
        };
        pending.add(entry);
        if (!ticking) {
          time.restart();
          ticking = setInterval(tick, time.periodMs);
          ticking.unref();
        }
        call.then(
          (value) => end(entry, () => resolve(value)),
          (error: unknown) => end(entry, () => reject(watch ? failureOf(watch, error) : error)),
        );
      });
    },
  };
}

/** The watch's failure for `error`, or `error` itself should the mapping throw. */
function failureOf(watch: CallWatch, error: unknown): unknown {
  try {
    return watch.failure(error);
  } catch {
    return error;
  }
}
