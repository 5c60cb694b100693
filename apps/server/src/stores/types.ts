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
   * the same `clientMsgId` in the room: then answers that one with `created: false`.
   */
  append(ref: RoomRef, draft: MessageDraft): Promise<{ message: Message; created: boolean }>;
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
   * each room: the order the store assigned, so every node can deliver in that order.
   */
  onAppended(listener: (appended: AppendedMessage) => void): void;
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

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** A token bucket per key: `ratePerSecond` sustained, `burst` at once. */
export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
}

export interface Stores {
  history: HistoryStore;
  rooms: RoomStore;
  presence: PresenceStore;
  /** Messages per user. */
  messageRate: RateLimiter;
  /**
   * Another rate limiter shared like the stores, for something other than messages (the
   * server API's keys, say); `scope` keeps its buckets apart from every other limiter's.
   */
  rateLimiter(scope: string, ratePerSecond: number, burst: number): RateLimiter;
  /** Connects to the backing service; resolves once it answers. */
  open(): Promise<void>;
  /** Whether the backing service answers (always true in memory). */
  ready(): Promise<boolean>;
  /** Removes this node's traces (after its connections are gone) and disconnects. */
  close(): Promise<void>;
}
