/**
 * Timeouts on another process's answer (Redis, a team's backend) that count only the time this
 * node was free to hear it. A turn of the node's own event loop can run for seconds (a reconnect
 * storm's burst of handshakes); a plain timer fires at the first chance after it, before the
 * loop has read the answer waiting in the socket — or before the other process, sharing the
 * host's cores, has had the CPU to write it — and the node reports a failure that was its own
 * slowness. Here each check (every period) counts the time since the one before, but at most two
 * periods: a timeout fires once `ms` have passed on the clock *and* in counted time, so a busy
 * node's timeouts fire later, never early, and one whose answer never comes still fires.
 */

/** Counted free time: `tick` from a timer every `periodMs`. */
export interface FreeTime {
  readonly periodMs: number;
  /** The free time counted so far, in ms. */
  readonly counted: number;
  /** Counts the time since the previous tick (or `restart`), at most two periods. */
  tick(now?: number): number;
  /** Counts from now on: after a spell with no timer running, that spell is not counted. */
  restart(now?: number): void;
}

export function createFreeTime(periodMs: number): FreeTime {
  let counted = 0;
  let last = Date.now();
  return {
    periodMs,
    get counted() {
      return counted;
    },
    tick(now = Date.now()) {
      counted += Math.max(0, Math.min(now - last, 2 * periodMs));
      last = now;
      return counted;
    },
    restart(now = Date.now()) {
      last = now;
    },
  };
}

/** How often to check a timeout of `ms`: a quarter of it, between 5 and 100 ms. */
export function checkPeriodFor(ms: number): number {
  return Math.max(5, Math.min(100, ms / 4));
}

/**
 * Calls `fire` once `ms` of free time have passed (see above) — one step after the check that
 * finds it due (setImmediate: after that turn's reads), so an answer that arrived during a long
 * turn still comes first. Returns what cancels it.
 */
export function afterFreeTime(ms: number, fire: () => void): () => void {
  const time = createFreeTime(checkPeriodFor(ms));
  const dueAt = Date.now() + ms;
  let step: NodeJS.Immediate | undefined;
  const timer = setInterval(() => {
    const now = Date.now();
    if (time.tick(now) < ms || now < dueAt || step) return;
    clearInterval(timer);
    step = setImmediate(fire);
  }, time.periodMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (step) clearImmediate(step);
  };
}

/** Resolves with `work`, or with undefined once `ms` of free time have passed (`work` goes on). */
export function atMostFreeTime<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let cancel = () => {};
  return Promise.race([
    work.finally(() => cancel()),
    new Promise<undefined>((resolve) => {
      cancel = afterFreeTime(ms, () => resolve(undefined));
    }),
  ]);
}

/** As `AbortSignal.timeout(ms)`, in free time. */
export function freeTimeSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  afterFreeTime(ms, () =>
    controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
  );
  return controller.signal;
}
