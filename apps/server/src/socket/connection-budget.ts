import type { ParleyConfig } from '../config';
import { TokenBucket } from './token-bucket';
import type { ParleySocket } from './types';

/**
 * One client connection (its transport) and what it may spend, shared by every namespace it
 * multiplexes: one websocket can open a socket in any number of workspaces, and a budget per
 * namespace would multiply by that number. Made when the connection opens; its sockets find it
 * through `connectionBudget`. Everything Parley keeps per connection is here, in one object.
 */
export class ConnectionBudget {
  /** Every event of the connection: the flood guard. */
  readonly events: TokenBucket;
  /** `typing:set`, which fans out to a whole room; made on first use (most never type). */
  private typingBucket?: TokenBucket;
  /** Rooms joined or being joined right now, across namespaces. */
  rooms = 0;
  /** Events refused in a row: a client that ignores `rate_limited` is cut off. */
  private refusedInARow = 0;
  /** The client address key the connection is counted under (when addresses are limited). */
  address?: string;
  /** A socket of the connection, to tell it why when the server closes it. */
  speaker?: ParleySocket;

  constructor(private readonly limits: ParleyConfig['limits']) {
    this.events = new TokenBucket(limits.events);
  }

  get typing(): TokenBucket {
    this.typingBucket ??= new TokenBucket(this.limits.typing);
    return this.typingBucket;
  }

  /** Takes an event's token: 0 when allowed, else the ms until one is due. */
  takeEvent(): number {
    const waitMs = this.events.take();
    this.refusedInARow = waitMs > 0 ? this.refusedInARow + 1 : 0;
    return waitMs;
  }

  /**
   * A whole burst's worth of events sent after being told to wait: no client honouring
   * `retryAfterMs` gets here, so the connection is closed rather than answered forever.
   */
  get flooding(): boolean {
    return this.refusedInARow >= this.limits.events.burst;
  }

  /** Reserves a room slot before any await, so concurrent joins cannot overshoot the limit. */
  reserveRoom(): boolean {
    if (this.rooms >= this.limits.roomsPerConnection) return false;
    this.rooms++;
    return true;
  }

  releaseRoom(): void {
    if (this.rooms > 0) this.rooms--;
  }
}

const budgets = new WeakMap<object, ConnectionBudget>();

/** The budget of a connection: made by the first to ask (the engine's `connection` handler). */
export function connectionBudget(
  connection: object,
  limits: ParleyConfig['limits'],
): ConnectionBudget {
  let budget = budgets.get(connection);
  if (!budget) {
    budget = new ConnectionBudget(limits);
    budgets.set(connection, budget);
  }
  return budget;
}

/** The budget of a connection, if it has one. */
export function budgetOf(connection: object): ConnectionBudget | undefined {
  return budgets.get(connection);
}
