import type {
  HistoryEntry,
  Member,
  Message,
  MessageChange,
  Role,
  Visibility,
} from '@parley/protocol';

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

/** An entry just added to a room's log (a message, or a change of one), as every node hears of it. */
export interface AppendedEntry {
  ref: RoomRef;
  entry: HistoryEntry;
  /** The connection that sent it, which has it in its acknowledgement. */
  origin?: string;
}

/** The message is in the store: just stored, or stored earlier under the same `clientMsgId`. */
export interface Stored {
  message: Message;
  /** False when this author already stored a message with this `clientMsgId` in the room. */
  created: boolean;
}

/**
 * What `append` answers when a bucket is empty: the sender's own in the room, or the room's,
 * shared by everyone who sends there. Nothing was stored.
 */
export interface RateLimited {
  rateLimited: true;
  retryAfterMs: number;
  /** Which budget ran out. */
  scope: 'sender' | 'room';
}

/** What `append` answers for a read-only room when the author may not post there. */
export interface ReadOnlyRefusal {
  readOnly: true;
}

export type AppendResult = Stored | RateLimited | ReadOnlyRefusal;

/** A message after `amend`: with the change entry, unless nothing changed. */
export interface Amended {
  message: Message;
  change?: MessageChange;
}

/** A token bucket's size: `perSecond` sustained, `burst` at once. */
export interface TokenRate {
  perSecond: number;
  burst: number;
}

/** The budgets a send must fit in; each is a bucket shared by every node. */
export interface SendRates {
  /** Per author per room (a channel's slow mode). */
  sender: TokenRate;
  /** Per room, whoever sends: many fresh identities cannot flood a room together. */
  room?: TokenRate;
}

export interface AppendOptions {
  /**
   * Whether the author may post in a read-only room (a moderator, an owner, the server API). In
   * the same atomic step as the append, so a room made read-only meanwhile is respected.
   */
  mayPostReadOnly?: boolean;
  /**
   * Take a token from each bucket before storing, and refuse (taking none) when one is empty.
   * Checked in the same atomic step as the append, after idempotency: a resend of a stored
   * message is answered without taking a token.
   */
  rates?: SendRates;
}

/** Whether this node delivers a room's messages (has sockets in it): others are not decoded. */
export type RoomFilter = (ref: RoomRef) => boolean;

export interface HistoryPage {
  /** Oldest first. */
  messages: HistoryEntry[];
  /** Older messages exist before `messages[0]`. */
  hasMore: boolean;
}

export interface JoinHistoryQuery {
  /** The last seq the client has: recover what came after it. */
  since?: number;
  /** The id of the client's entry at `since`: recover only if the one stored there has it. */
  sinceId?: string;
  /** The size of the latest page, when there is nothing to recover. */
  pageLimit: number;
  /** Recover at most this many entries; more missed: the latest page instead. */
  recoveryMax: number;
}

/** A join's history: what came after `since`, or else the latest page; and the last seq. */
export type JoinHistory =
  | { lastSeq: number; recovered: HistoryEntry[]; page?: undefined }
  | { lastSeq: number; recovered?: undefined; page: HistoryPage };

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
  since(ref: RoomRef, since: number, max: number): Promise<HistoryEntry[] | undefined>;
  lastSeq(ref: RoomRef): Promise<number>;
  /**
   * What a join answers of the room's history, read in one step (one round trip), so its parts
   * describe the same moment. With `since`: what `since(ref, since, recoveryMax)` answers, as
   * `recovered`, when it answers entries and (with `sinceId`, for `since > 0`) the entry stored
   * at `since` has that id; otherwise, and without `since`, the latest page of `pageLimit`
   * entries. `lastSeq` is the room's last seq at that moment.
   */
  forJoin(ref: RoomRef, query: JoinHistoryQuery): Promise<JoinHistory>;
  /**
   * Calls `listener` for every message stored from now on, by any node, in `seq` order within
   * each room: the order the store assigned, so every node can deliver in that order. Only
   * rooms `wants` accepts are decoded and passed on (default: every room).
   */
  onAppended(listener: (appended: AppendedEntry) => void, wants?: RoomFilter): void;
  /**
   * Changes the message at `seq` in place and appends the change as an entry with the next `seq`
   * (announced like a message). `change` gets the message as it is and answers it changed, or
   * undefined for no change (a repeated edit: nothing is appended); it may throw to refuse.
   * Concurrent changes of one message are applied one after the other, each to the result of the
   * last. Answers undefined when no message is at `seq` (never was, or past retention).
   */
  amend(
    ref: RoomRef,
    seq: number,
    change: (current: Message) => Message | undefined,
    meta: { action: MessageChange['action']; by: Member; origin?: string },
  ): Promise<Amended | undefined>;
}

export interface RoomRecord {
  name: string;
  topic: string | null;
  visibility: Visibility;
  /** Only moderators and owners (and the server API) may post. */
  readOnly: boolean;
}

/** What a room is made with, besides its name. */
export interface NewRoom {
  visibility?: Visibility;
  readOnly?: boolean;
  topic?: string | null;
}

/** What `create` did: made the room, found it there already, or refused (the workspace is full). */
export type CreateOutcome = 'created' | 'exists' | 'full';

export interface RoomPageQuery {
  /** Only names after this one. */
  after?: string;
  /** Only names that start with this. */
  prefix?: string;
  limit: number;
}

export interface RoomPage {
  /** By name. */
  rooms: RoomRecord[];
  /** The last name of this page when more follow (the next page's `after`), else null. */
  next: string | null;
}

/**
 * Which rooms exist in a workspace, and their topics, kept sorted by name so a page costs its
 * size, not the workspace's. A room is created as a candidate for expiry: until it turns out to
 * be worth keeping (a message, a topic), it goes once it has been empty and idle for long enough.
 */
export interface RoomStore {
  /** Creates the room unless it exists, or unless the workspace holds `maxRooms` already. */
  create(ref: RoomRef, options: NewRoom & { maxRooms: number }): Promise<CreateOutcome>;
  get(ref: RoomRef): Promise<RoomRecord | undefined>;
  /** Changes a room's topic or read-only flag; answers the record, or undefined if no room. */
  update(
    ref: RoomRef,
    changes: { topic?: string | null; readOnly?: boolean },
  ): Promise<RoomRecord | undefined>;
  /** One page of the workspace's public or private rooms (each kept in an index of its own). */
  page(workspace: string, query: RoomPageQuery & { visibility: Visibility }): Promise<RoomPage>;
  /** The records of these rooms that exist, in the order asked. */
  getMany(workspace: string, names: string[]): Promise<RoomRecord[]>;
  /** How many rooms the workspace holds. */
  count(workspace: string): Promise<number>;
  /** Sets the topic, creating the room if needed (whatever the limit: the server API's way). */
  setTopic(ref: RoomRef, topic: string | null): Promise<RoomRecord>;
  /** Someone just left the room: if it is a candidate for expiry, its idle time starts again. */
  touch(ref: RoomRef): Promise<void>;
  /** Candidates for expiry idle since before `before` (ms since the epoch), oldest first. */
  idle(before: number, limit: number): Promise<RoomRef[]>;
  /** The room is worth keeping (it has history or a topic): never a candidate again. */
  retire(ref: RoomRef): Promise<void>;
  /** Deletes the room (the caller found it empty, without history and without a topic). */
  remove(ref: RoomRef): Promise<void>;
}

/**
 * Who is in each room. Counts users, not connections: a user with three tabs is one member,
 * present from their first connection's arrival until their last one's departure.
 */
/**
 * What removing a connection did: the user `stayed` (they have another connection there), `left`
 * (announce it now), or is `leaving`: their last connection went, but they stay present for a
 * grace period, in case it was a reload or a move to another node; `settle` after it decides.
 */
export type Removal = 'stayed' | 'left' | 'leaving';

export interface PresenceStore {
  /**
   * Answers true when the user just arrived: their first connection in the room, and not a
   * return within the grace period of their last one's going (which nobody was told of).
   */
  add(ref: RoomRef, member: Member, connectionId: string): Promise<boolean>;
  /**
   * `add`, answering also who is in the room right after it, in the same step (one round trip
   * for the whole): the online count, and the members: all of them when at most `membersMax`,
   * else `membersMax` of them (which ones is unspecified) — `member` always among them.
   */
  enter(
    ref: RoomRef,
    member: Member,
    connectionId: string,
    membersMax: number,
  ): Promise<EnteredPresence>;
  /**
   * Its caller gave up on this connection's `enter` (or `add`) still under way (it missed its
   * deadline, or the join failed after it): should the add land after all, it is taken out
   * again (the user's departure told, as for any last connection of theirs), unless the
   * connection enters again first.
   * An add that failed is taken out that way already.
   */
  abandon(ref: RoomRef, connectionId: string): void;
  /**
   * Removes one connection. With `graceMs`, a user's last connection leaves them `leaving`
   * (still counted and listed) until `settle`, a return, or a sweep after the grace ends.
   */
  remove(ref: RoomRef, userId: string, connectionId: string, graceMs?: number): Promise<Removal>;
  /**
   * Ends a `leaving` user's grace once it is over: answers the member when they left (this call
   * alone answers it, on any node), undefined when they came back or it was settled already.
   */
  settle(ref: RoomRef, userId: string): Promise<Member | undefined>;
  /** The users present, at most `limit` of them (which ones, beyond that, is unspecified). */
  members(ref: RoomRef, limit?: number): Promise<Member[]>;
  /**
   * One page of the users present, about `limit` of them, from `cursor` (a `nextCursor` this
   * store gave; absent: the start). A full walk meets everyone present throughout it at least
   * once. A cursor the store could not have given throws ParleyError `invalid_payload`.
   */
  page(ref: RoomRef, cursor: string | undefined, limit: number): Promise<PresencePage>;
  count(ref: RoomRef): Promise<number>;
  /** Online user count of each of these rooms of the workspace (0 for an empty one). */
  counts(workspace: string, rooms: string[]): Promise<Map<string, number>>;
  /**
   * Departures no connection's own handler could announce: users whose last connection was on a
   * node that died, whose removal failed while the store was unreachable (retried here), or
   * whose grace ended without the node that started it settling it. Each departure is answered
   * by one call on one node only, so it is announced once.
   */
  sweep(): Promise<Departure[]>;
}

/** What `PresenceStore.enter` answers. */
export interface EnteredPresence {
  /** What `add` answers: the user just arrived (their first connection, not a return). */
  arrived: boolean;
  count: number;
  /** Shared with other answers (a store may hand the same list to every join of a room). */
  members: readonly Member[];
}

/** A connection entering a room (`JoinStore.enter`). */
export interface Entrant {
  member: Member;
  connectionId: string;
  /** The most members the answer lists (`PresenceStore.enter`). */
  membersMax: number;
}

/** What a join reads once its connection hears the room's broadcasts. */
export interface EnteredRoom {
  /** `PresenceStore.enter`'s answer: the connection is in the room's presence. */
  presence: EnteredPresence;
  /** `RoomStore.get`'s answer. */
  record: RoomRecord | undefined;
  /** `HistoryStore.forJoin`'s answer. */
  history: JoinHistory;
}

/**
 * A join's reads, after the admission and once the connection hears the room: what
 * `presence.enter`, `rooms.get` and `history.forJoin` answer — in one step (one round trip, one
 * moment) where the store can, else each as its own store answers it.
 */
export interface JoinStore {
  enter(ref: RoomRef, entrant: Entrant, history: JoinHistoryQuery): Promise<EnteredRoom>;
  /** The caller gave up on an `enter` (see `PresenceStore.abandon`). */
  abandon(ref: RoomRef, connectionId: string): void;
}

export interface PresencePage {
  members: Member[];
  /** Where the next page starts; null when this one was the last. */
  nextCursor: string | null;
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

/** Webhook events travel in two lanes: what was said, and who came and went. */
export type WebhookLane = 'messages' | 'presence';

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

/** Someone stored as a member of a room, with their role. */
export interface StoredMember {
  id: string;
  name: string;
  role: Role;
}

/** What decides whether a user may enter a room (access/decide.ts), as the stores hold it. */
export interface RoomFacts {
  record: RoomRecord | undefined;
  member: StoredMember | undefined;
  /** When their ban ends (ms), if they are banned now. */
  bannedUntil: number | undefined;
}

/**
 * Who belongs to each room, with what role, and who is banned from it until when. Kept per room
 * and, for listing a user's rooms, per user.
 */
export interface MemberStore {
  get(ref: RoomRef, userId: string): Promise<StoredMember | undefined>;
  put(ref: RoomRef, member: StoredMember): Promise<void>;
  /** Answers whether they were a member. */
  remove(ref: RoomRef, userId: string): Promise<boolean>;
  /** Up to `limit` members (which ones past it is unspecified). */
  list(ref: RoomRef, limit: number): Promise<StoredMember[]>;
  ban(ref: RoomRef, userId: string, untilMs: number): Promise<void>;
  unban(ref: RoomRef, userId: string): Promise<void>;
  /** When their ban ends (ms since the epoch), or undefined when they are not banned now. */
  bannedUntil(ref: RoomRef, userId: string): Promise<number | undefined>;
  /**
   * The room's record, the user's membership and their ban, as `RoomStore.get`, `get` and
   * `bannedUntil` answer them, read together: over Redis one round trip, a join's first.
   */
  admission(ref: RoomRef, userId: string): Promise<RoomFacts>;
  /** One page of the names of the rooms of a workspace the user is a stored member of. */
  roomsOf(
    workspace: string,
    userId: string,
    query: RoomPageQuery,
  ): Promise<{ names: string[]; next: string | null }>;
}

/** One of a node's busiest rooms, as it reported them: its own sockets there. */
export interface ReportedRoom {
  workspace: string;
  room: string;
  sockets: number;
}

/**
 * What a node says about itself with every heartbeat, for the operations overview. Bounded:
 * at most `NODE_REPORT_MAX_ROOMS` rooms, so a report costs the same whatever the node holds.
 */
export interface NodeReport {
  /** NODE_ID. */
  id: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601: when the report was made. */
  reportedAt: string;
  connections: number;
  /** Chat rooms with at least one of this node's sockets. */
  rooms: number;
  eventLoopLagMs: number;
  heapUsedBytes: number;
  /** Since the node started. */
  messagesStored: number;
  deliveries: number;
  /** This node's rooms with the most of its sockets, most first. */
  busiestRooms: ReportedRoom[];
}

export const NODE_REPORT_MAX_ROOMS = 20;

/**
 * The nodes' latest reports, shared by the cluster: each node writes its own with every
 * heartbeat, and a report lapses `ttlMs` after it was written, so a node that stopped reporting
 * (it died) drops out by itself. Reading costs the number of live nodes, never a scan.
 */
export interface NodeReportStore {
  /** Replaces the node's report (by `report.id`), kept for `ttlMs`. */
  report(report: NodeReport, ttlMs: number): Promise<void>;
  /** Every report that has not lapsed, in no particular order. */
  all(): Promise<NodeReport[]>;
  /** Drops a node's report at once (it is shutting down). */
  forget(id: string): Promise<void>;
}

export interface Stores {
  history: HistoryStore;
  rooms: RoomStore;
  members: MemberStore;
  presence: PresenceStore;
  /** A join's presence, room and history reads together. */
  joins: JoinStore;
  occupancy: OccupancyStore;
  /** The nodes' heartbeat reports (the operations overview). */
  nodes: NodeReportStore;
  /**
   * One queue per lane, each with its own capacity, so a flood of presence events can never
   * crowd out `message.*` ones.
   */
  webhookQueues: Record<WebhookLane, WebhookQueue>;
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
