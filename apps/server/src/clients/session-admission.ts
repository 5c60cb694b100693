/**
 * How many new sessions a node works on at once. A session is pending from the engine's
 * handshake until its first namespace connect reaches the server (the token check then runs at
 * once), until it closes, or for at most `maxPendingMs` (a client that opens a session and never
 * connects holds no place for longer). Past `maxPending`, a new session is refused at once with
 * 503 and the client retries after its backoff (socket.io-client's: 1–5 s, ±50 %).
 *
 * Why: when every client of a restarted node comes back at once, each handshake is a few steps
 * through the event loop, and thousands in flight share it: every one of them advances slowly,
 * many past socket.io-client's 20 s connect timeout — the client gives up, tries again, and the
 * node does that work twice. A node working on a few hundred at a time finishes each in well
 * under a second, and a refusal costs it only the request's parsing.
 */
export interface SessionAdmission {
  /** Whether a new session may open now. */
  admits(): boolean;
  /** A session opened: pending until `settle` (or `maxPendingMs`). */
  open(): PendingSession;
  /** Its first namespace connect arrived, or it closed; a second call does nothing. */
  settle(session: PendingSession): void;
  /** Sessions pending now. */
  pending(): number;
}

export class PendingSession {
  settled = false;
  constructor(readonly openedAt: number) {}
}

/** What `open` answers when there is no limit: nothing to track. */
const UNTRACKED = Object.freeze(Object.assign(new PendingSession(0), { settled: true }));

export interface SessionAdmissionOptions {
  /** 0: no limit. */
  maxPending: number;
  maxPendingMs: number;
  now?: () => number;
}

export function createSessionAdmission({
  maxPending,
  maxPendingMs,
  now = Date.now,
}: SessionAdmissionOptions): SessionAdmission {
  // Oldest first: sessions open and settle in about that order, so the head is where the settled
  // and the expired are found, in amortized constant time.
  let queue: PendingSession[] = [];
  let head = 0;
  let count = 0;

  function settle(session: PendingSession): void {
    if (session.settled) return;
    session.settled = true;
    count--;
  }

  /** Drops settled sessions from the head, and settles those pending too long. */
  function trim(): void {
    const expiredBefore = now() - maxPendingMs;
    while (head < queue.length) {
      const oldest = queue[head] as PendingSession;
      if (!oldest.settled && oldest.openedAt > expiredBefore) break;
      settle(oldest);
      head++;
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  return {
    admits() {
      if (maxPending === 0 || count < maxPending) return true;
      trim();
      return count < maxPending;
    },
    open() {
      if (maxPending === 0) return UNTRACKED;
      trim();
      const session = new PendingSession(now());
      queue.push(session);
      count++;
      return session;
    },
    settle,
    pending: () => count,
  };
}
