import type { Member, Message } from '@parley/protocol';

/** A room is addressed by its workspace and name everywhere below the handlers. */
export interface RoomRef {
  workspace: string;
  room: string;
}

export interface MessageDraft {
  author: Member;
  text: string;
  clientMsgId: string;
  /** The connection that sent it: it has the message in its acknowledgement, not a broadcast. */
  origin?: string;
}

/** A message just stored, as every node hears of it. */
export interface AppendedMessage {
  ref: RoomRef;
  message: Message;
  origin?: string;
}

/** The message is in the store: just stored, or stored earlier under the same `clientMsgId`. */
export interface Stored {
  message: Message;
  /** False when this author already stored a message with this `clientMsgId` in the room. */
  created: boolean;
}

/** What `append` answers when the sender's bucket for the room is empty: nothing was stored. */
export interface RateLimited {
  rateLimited: true;
  retryAfterMs: number;
}

export type AppendResult = Stored | RateLimited;

/** A token bucket's size: `perSecond` sustained, `burst` at once. */
export interface TokenRate {
  perSecond: number;
  burst: number;
}

export interface AppendOptions {
  /**
   * Take a token from the author's bucket for this room (shared by every node) before storing,
   * and refuse when it is empty. Checked in the same atomic step as the append, after
   * idempotency: a resend of a stored message is answered without taking a token.
   */
  rate?: TokenRate;
}

/** Whether this node delivers a room's messages (has sockets in it): others are not decoded. */
export type RoomFilter = (ref: RoomRef) => boolean;

export interface HistoryPage {
  /** Oldest first. */
  messages: Message[];
  /** Older messages exist before `messages[0]`. */
  hasMore: boolean;
}

/** Messages of each room, numbered by `seq` 1, 2, 3, … and kept up to a retention. */
export interface HistoryStore {
  /**
   * Stores a message with the room's next `seq`, unless this author already stored one with
   * the same `clientMsgId` in the room: then answers that one with `created: false`. With
   * `options.rate`, answers `RateLimited` instead of storing when the author sends too fast.
   */
  append(ref: RoomRef, draft: MessageDraft, options?: AppendOptions): Promise<AppendResult>;
  /** Up to `limit` messages with `seq < before` (default: the newest). */
  page(ref: RoomRef, query: { before?: number; limit: number }): Promise<HistoryPage>;
  /**
   * Every message with `seq > since`, if there are at most `max` and none of them was dropped
   * by retention; otherwise undefined (the client cannot be brought up to date incrementally).
   */
  since(ref: RoomRef, since: number, max: number): Promise<Message[] | undefined>;
  lastSeq(ref: RoomRef): Promise<number>;
  /**
   * Calls `listener` for every message stored from now on, by any node, in `seq` order within
   * each room: the order the store assigned, so every node can deliver in that order. Only
   * rooms `wants` accepts are decoded and passed on (default: every room).
   */
  onAppended(listener: (appended: AppendedMessage) => void, wants?: RoomFilter): void;
}

export interface RoomRecord {
  name: string;
  topic: string | null;
}

/** Which rooms exist in a workspace, and their topics. */
export interface RoomStore {
  /** Creates the room if it does not exist yet. */
  ensure(ref: RoomRef): Promise<RoomRecord>;
  get(ref: RoomRef): Promise<RoomRecord | undefined>;
  list(workspace: string): Promise<RoomRecord[]>;
  setTopic(ref: RoomRef, topic: string | null): Promise<RoomRecord>;
}

/**
 * Who is in each room. Counts users, not connections: a user with three tabs is one member,
 * present from their first connection's arrival until their last one's departure.
 */
export interface PresenceStore {
  /** Answers true when this is the user's first connection in the room. */
  add(ref: RoomRef, member: Member, connectionId: string): Promise<boolean>;
  /** Answers true when this was the user's last connection in the room. */
  remove(ref: RoomRef, userId: string, connectionId: string): Promise<boolean>;
  members(ref: RoomRef): Promise<Member[]>;
  count(ref: RoomRef): Promise<number>;
  /** Online user count of every occupied room of the workspace. */
  counts(workspace: string): Promise<Map<string, number>>;
  /**
   * Departures no connection's own handler could announce: users whose last connection was on a
   * node that died, or whose removal failed while the store was unreachable (retried here).
   * Each departure is answered by one call on one node only, so it is announced once.
   */
  sweep(): Promise<Departure[]>;
}

/** A user who left a room without a live handler to say so. */
export interface Departure {
  ref: RoomRef;
  member: Member;
}

/**
 * Whether each room has anyone in it, as a marker that changes only when the room's online user
 * count allows it. The check and the change are one atomic step, so when several nodes race
 * (the last user leaving on one, a new one arriving on another) the marker still flips once per
 * real transition, and ends up matching the count once they are done.
 */
export interface OccupancyStore {
  /**
   * `true`: marks the room occupied if it has at least one member; `false`: marks it vacant if
   * it has none. Answers true when this call changed the marker (the room just became
   * occupied or vacant), false when it was already so or the count says otherwise.
   */
  mark(ref: RoomRef, occupied: boolean): Promise<boolean>;
}

/** One webhook event on its way to one endpoint. */
export interface WebhookDelivery {
  /** Unique per event and endpoint. */
  id: string;
  url: string;
  eventId: string;
  eventType: string;
  /** The exact body that is signed and sent. */
  body: string;
}

/** A delivery taken by one worker for a while (its lease). */
export interface ClaimedDelivery extends WebhookDelivery {
  /** This attempt's number: 1 for the first try. */
  attempt: number;
  /** When the claim lapses (ms since the epoch); also what ties `retry` to this claim. */
  lease: number;
}

/**
 * Webhook deliveries waiting to be sent, due at a time. A worker claims due deliveries for a
 * lease; one it neither acknowledges nor reschedules (its node died mid-delivery) is due again
 * when the lease lapses, so an event is never lost to a crash (but may be sent twice).
 */
export interface WebhookQueue {
  /**
   * Adds deliveries, due at once. Answers false, adding none, when the queue is full (a bound
   * that keeps a dead receiver from eating the store's memory).
   */
  enqueue(deliveries: WebhookDelivery[]): Promise<boolean>;
  /**
   * Takes up to `max` due deliveries and counts an attempt for each. Deliveries whose attempts
   * were all used by claims that never finished are removed and answered as `abandoned`.
   */
  claim(options: { max: number; leaseMs: number; maxAttempts: number }): Promise<{
    claimed: ClaimedDelivery[];
    abandoned: WebhookDelivery[];
  }>;
  /** Delivered (or given up): removes it, whoever holds it now. */
  ack(id: string): Promise<void>;
  /**
   * Due again after `delayMs`, if the claim is still the holder's (answers whether it was): a
   * worker whose lease lapsed must not move a delivery another worker is sending.
   */
  retry(claim: Pick<ClaimedDelivery, 'id' | 'lease'>, delayMs: number): Promise<boolean>;
  /** Deliveries waiting or in flight. */
  size(): Promise<number>;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** A token bucket per key: `ratePerSecond` sustained, `burst` at once. */
export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
}

export interface Stores {
  history: HistoryStore;
  rooms: RoomStore;
  presence: PresenceStore;
  occupancy: OccupancyStore;
  webhookQueue: WebhookQueue;
  /**
   * A rate limiter shared like the stores, for something other than chat messages (those are
   * limited by `history.append`): the server API's keys, say. `scope` keeps its buckets apart
   * from every other limiter's.
   */
  rateLimiter(scope: string, ratePerSecond: number, burst: number): RateLimiter;
  /** Connects to the backing service; resolves once it answers. */
  open(): Promise<void>;
  /** Whether the backing service answers (always true in memory). */
  ready(): Promise<boolean>;
  /** Removes this node's traces (after its connections are gone) and disconnects. */
  close(): Promise<void>;
}
