import {
  type AckOf,
  atLeast,
  type ErrorBody,
  isChange,
  type Member,
  membersHash,
  type PresenceMode,
  type Role,
  type ServerEventName,
  type ServerPayloadOf,
  type Visibility,
} from '@parley/protocol';
import { acknowledged, queued, resending } from './outbox';
import {
  applyDeletion,
  applyEdit,
  applyOwnChange,
  type ChatMessage,
  type Gap,
  gapBefore,
  gapsAbove,
  keepUnsent,
  mergeStored,
  newestSeq,
  openGaps,
} from './timeline';
import { type TypingEntry, typingChanged, typingExpired, typingStopped } from './typing';

/**
 * One room as a client holds it, and the pure reducer that the server's answers and events (and
 * this client's own actions) apply to it: `roomReducer(state, action) => state`. It answers the
 * same object when an action changes nothing, and keeps every slice that did not change (the
 * timeline when only typing changed), so a view that selects a slice can skip re-rendering.
 */

/** What the server says of the room itself. */
export interface RoomDetails {
  topic: string | null;
  /** Users online in the room (the server's count: `members` may be a sample). */
  memberCount: number;
  /**
   * How the server tells who is here: `members`, every arrival and departure; `count` (a big
   * room), only `memberCount` is kept live, and `presence:list` pages through who is present.
   */
  presence: PresenceMode;
  visibility: Visibility;
  /** Only moderators and owners post. */
  readOnly: boolean;
  /** This user's role in the room; null for none (a visitor of a public room). */
  role: Role | null;
}

/** The room's log as this client holds it. */
export interface Timeline {
  /** Stored entries by `seq` (change entries `hidden`), then local ones not stored yet. */
  messages: readonly ChatMessage[];
  /** Newest `seq` the server reported; `messages` may not reach it yet (see `gaps`). */
  lastSeq: number;
  /** Older entries exist before the first one held. */
  hasMore: boolean;
  loadingOlder: boolean;
  /** Entries missing between ones held: what to fetch with `message:history`. */
  gaps: readonly Gap[];
  /**
   * While the room is not joined (its join on its way): the entries heard live since the
   * connection was lost or the room last joined, also in `messages`. Kept apart because they are
   * the only ones sure to belong to the history the join answers (see `underPage`). Empty once
   * joined.
   */
  heardWhileJoining: readonly ChatMessage[];
}

/** A transient event a backend published to the room (a progress bar, a price…). */
export interface LiveEvent {
  type: string;
  data: unknown;
  receivedAt: number;
}

export type Removal = Omit<ServerPayloadOf<'room:removed'>, 'room'>;

/**
 * How far a room's `members` can be trusted:
 * - `live`: everyone present, kept live by arrivals and departures (`members` presence).
 * - `sample`: the room is in `count` presence: some of those present (the join answer's sample,
 *   and what was known when the room grew), not kept live; `details.memberCount` counts everyone.
 * - `stale`: the room came back to `members` presence: the list is out of date until it is
 *   fetched again (`presence:list`), which the client does by itself after a short random delay.
 */
export type MembersStatus = 'live' | 'sample' | 'stale';

/** An arrival (`present: true`) or departure heard while the list was stale. */
export interface PresenceHeard {
  member: Member;
  present: boolean;
}

/** Everyone present, as `presence:list` pages answered them (walked to the last page). */
export type PresenceFetch =
  | { ok: true; members: readonly Member[]; memberCount: number }
  | Extract<AckOf<'presence:list'>, { ok: false }>;

export interface RoomState {
  name: string;
  details: RoomDetails;
  timeline: Timeline;
  /**
   * Users present: everyone while `membersStatus` is `live`; otherwise a sample (`count`
   * presence) or an outdated list (`stale`, until fetched again).
   */
  members: readonly Member[];
  membersStatus: MembersStatus;
  /**
   * While `stale`: the latest arrival or departure of each user heard since, by id, applied over
   * the list fetched again (it may have been read before them). Empty otherwise.
   */
  membersHeard: Readonly<Record<string, PresenceHeard>>;
  /** Others typing now. */
  typing: readonly TypingEntry[];
  /** The newest live event of each type, newest first. */
  liveEvents: readonly LiveEvent[];
  /** Messages of others that arrived while the room was not active. */
  unread: number;
  /** The room is the one in view: its messages are read as they come. */
  active: boolean;
  /** This socket is in the room now. */
  joined: boolean;
  /** Why the last join failed (`forbidden`: refused), until a join succeeds. */
  error: ErrorBody | null;
  /** This user was removed (or banned) from the room: nothing comes in until it is opened again. */
  removed: Removal | null;
}

const NOTHING_HEARD: Readonly<Record<string, PresenceHeard>> = Object.freeze({});

/** Live events kept: the newest of each type, up to this many types. */
export const LIVE_EVENT_TYPES_KEPT = 5;

/** The server events that concern one room. */
export type RoomServerEvent = Extract<
  ServerEventName,
  | 'message:new'
  | 'message:updated'
  | 'message:deleted'
  | 'presence:joined'
  | 'presence:left'
  | 'presence:changed'
  | 'typing:changed'
  | 'room:updated'
  | 'room:event'
  | 'room:role'
  | 'room:removed'
>;
type Server<E extends RoomServerEvent> = { type: E; payload: ServerPayloadOf<E> };

/** Why a page of history was asked for. */
export type HistoryPurpose = { kind: 'older' } | { kind: 'gap'; gap: Gap };

export type RoomAction =
  /** The room is wanted (again): clears a refusal or removal; a join follows. */
  | { type: 'open' }
  | { type: 'focus' }
  | { type: 'blur' }
  /**
   * The answer to `room:join`. `me`: this user's id, so their own messages count as read.
   * `membersHash`: what the join said of the list it held (`heldMembers`), to check an answer
   * that left the list out against.
   */
  | { type: 'join'; result: AckOf<'room:join'>; me: string; membersHash?: string }
  | { type: 'loadingOlder' }
  | { type: 'history'; purpose: HistoryPurpose; result: AckOf<'message:history'> }
  /** A message this client wrote, pending. */
  | { type: 'send'; message: ChatMessage }
  /** A failed message sent again: pending. */
  | { type: 'resend'; key: string }
  /** The answer to `message:send`; `connected`: whether the socket still is. */
  | { type: 'sendAck'; key: string; result: AckOf<'message:send'>; connected: boolean }
  /** The answer to this user's own `message:edit` / `message:delete` (`by`: this user). */
  | {
      type: 'changeAck';
      result: AckOf<'message:edit'> | AckOf<'message:delete'>;
      by: Member;
      now: number;
    }
  | (Server<'message:new'> & { me: string })
  | Server<'message:updated'>
  | (Server<'message:deleted'> & { now: number })
  | Server<'presence:joined'>
  | Server<'presence:left'>
  | Server<'presence:changed'>
  /** Everyone present, fetched again (`presence:list`, every page) after the list went stale. */
  | { type: 'membersFetched'; result: PresenceFetch }
  | (Server<'typing:changed'> & { me: string; now: number })
  | { type: 'typingExpired'; now: number }
  | Server<'room:updated'>
  | (Server<'room:event'> & { now: number })
  | Server<'room:role'>
  | Server<'room:removed'>
  /** The connection dropped: the room is no longer joined until the client joins it again. */
  | { type: 'disconnected' };

export function emptyRoom(name: string): RoomState {
  return {
    name,
    details: {
      topic: null,
      memberCount: 0,
      presence: 'members',
      visibility: 'public',
      readOnly: false,
      role: null,
    },
    timeline: {
      messages: [],
      lastSeq: 0,
      hasMore: false,
      loadingOlder: false,
      gaps: [],
      heardWhileJoining: [],
    },
    members: [],
    membersStatus: 'live',
    membersHeard: NOTHING_HEARD,
    typing: [],
    liveEvents: [],
    unread: 0,
    active: false,
    joined: false,
    error: null,
    removed: null,
  };
}

/** Whether this user may post in the room (a read-only room takes moderators and owners). */
export function mayPost(details: Pick<RoomDetails, 'readOnly' | 'role'>): boolean {
  return !details.readOnly || atLeast(details.role, 'moderator');
}

/** Actions that still apply to a room this user was removed from. */
const AFTER_REMOVAL = new Set<RoomAction['type']>([
  'open',
  'focus',
  'blur',
  'send',
  'resend',
  'room:updated',
  'room:role',
  'disconnected',
]);

export function roomReducer(state: RoomState, action: RoomAction): RoomState {
  if (state.removed && !AFTER_REMOVAL.has(action.type)) return state;
  switch (action.type) {
    case 'open':
      return state.error || state.removed ? { ...state, error: null, removed: null } : state;
    case 'focus':
      return state.active && state.unread === 0 ? state : { ...state, active: true, unread: 0 };
    case 'blur':
      return state.active ? { ...state, active: false } : state;
    case 'join':
      return joined(state, action.result, action.me, action.membersHash);
    case 'loadingOlder':
      return state.timeline.loadingOlder
        ? state
        : withTimeline(state, { ...state.timeline, loadingOlder: true });
    case 'history':
      return history(state, action.purpose, action.result);
    case 'send':
      return withMessages(state, queued(state.timeline.messages, action.message));
    case 'resend':
      return withMessages(state, resending(state.timeline.messages, action.key));
    case 'sendAck': {
      const { result } = action;
      const gap = result.ok ? missingBefore(state.timeline, result.message.seq) : undefined;
      const messages = acknowledged(state.timeline.messages, action.key, result, action.connected);
      return withEntries(state, messages, result.ok ? [result.message.seq] : [], gap);
    }
    case 'changeAck': {
      const { result } = action;
      if (!result.ok) return state;
      const gap =
        result.changeSeq === undefined
          ? undefined
          : missingBefore(state.timeline, result.changeSeq);
      const at = new Date(action.now).toISOString();
      const messages = applyOwnChange(
        state.timeline.messages,
        result.message,
        result.changeSeq,
        action.by,
        at,
      );
      const seqs = result.changeSeq === undefined ? [] : [result.changeSeq];
      return withEntries(state, messages, seqs, gap);
    }
    case 'message:new': {
      const message = action.payload;
      const { timeline } = state;
      const gap = missingBefore(timeline, message.seq);
      const messages = mergeStored(timeline.messages, [message]);
      const fresh = messages !== timeline.messages && !holds(timeline.messages, message.seq);
      let next = withEntries(state, messages, [message.seq], gap);
      next = heardWhileJoining(state, next, (heard) => mergeStored(heard, [message]));
      next = withTyping(next, typingStopped(next.typing, new Set([message.author.id])));
      if (fresh && message.author.id !== action.me && !state.active) {
        next = { ...next, unread: next.unread + 1 };
      }
      return next;
    }
    case 'message:updated': {
      const { changeSeq, ...message } = action.payload;
      const gap = missingBefore(state.timeline, changeSeq);
      const messages = applyEdit(state.timeline.messages, message, changeSeq);
      const next = withEntries(state, messages, [changeSeq], gap);
      return heardWhileJoining(state, next, (heard) => applyEdit(heard, message, changeSeq));
    }
    case 'message:deleted': {
      const { payload } = action;
      const gap = missingBefore(state.timeline, payload.changeSeq);
      const at = new Date(action.now).toISOString();
      const messages = applyDeletion(state.timeline.messages, payload, at);
      const next = withEntries(state, messages, [payload.changeSeq], gap);
      return heardWhileJoining(state, next, (heard) => applyDeletion(heard, payload, at));
    }
    case 'presence:joined':
      return presenceChanged(state, [], [action.payload.member]);
    case 'presence:left':
      return presenceChanged(state, [action.payload.member], []);
    case 'presence:changed':
      return presenceChanged(state, action.payload.left, action.payload.joined);
    case 'membersFetched':
      return membersFetched(state, action.result);
    case 'typing:changed': {
      const { user, typing } = action.payload;
      if (user.id === action.me) return state;
      return withTyping(state, typingChanged(state.typing, user, typing, action.now));
    }
    case 'typingExpired':
      return withTyping(state, typingExpired(state.typing, action.now));
    case 'room:updated': {
      const { topic, memberCount, visibility, readOnly, presence } = action.payload;
      const details = { ...state.details, topic, memberCount, presence, visibility, readOnly };
      return withPresenceMode(withDetails(state, details), presence);
    }
    case 'room:role': {
      const { topic, memberCount, visibility, readOnly, role, presence } = action.payload;
      const details = { topic, memberCount, presence, visibility, readOnly, role };
      return withPresenceMode(withDetails(state, details), presence);
    }
    case 'room:event': {
      const { type, data } = action.payload;
      const liveEvents = [
        { type, data, receivedAt: action.now },
        ...state.liveEvents.filter((event) => event.type !== type),
      ].slice(0, LIVE_EVENT_TYPES_KEPT);
      return { ...state, liveEvents };
    }
    case 'room:removed': {
      const { room: _room, ...removal } = action.payload;
      return {
        ...state,
        joined: false,
        removed: removal,
        typing: [],
        timeline: state.timeline.loadingOlder
          ? { ...state.timeline, loadingOlder: false }
          : state.timeline,
      };
    }
    case 'disconnected': {
      const { timeline } = state;
      const heard = timeline.heardWhileJoining.length > 0;
      if (!state.joined && state.typing.length === 0 && !timeline.loadingOlder && !heard) {
        return state;
      }
      return {
        ...state,
        joined: false,
        typing: [],
        // What was heard on the connection lost may be of a history the next one no longer has
        // (a restarted server): only what is heard from here on counts for the next join.
        timeline:
          timeline.loadingOlder || heard
            ? { ...timeline, loadingOlder: false, heardWhileJoining: [] }
            : timeline,
      };
    }
  }
}

/**
 * What a (re-)join says of the member list this client holds: its `membersHash` when the list
 * is the room's whole list as last heard (`live`), so an unchanged list is not sent again.
 */
export function heldMembers(state: RoomState): { membersHash?: string } {
  return state.membersStatus === 'live' && state.members.length > 0
    ? { membersHash: membersHash(state.members) }
    : {};
}

/**
 * The member list after a join's answer: the answer's, or — when it left the list out because
 * the one the join named is the room's (`membersUnchanged`) — the list held, if it is still the
 * one named. Anything else (the room was left and opened again while the join was on its way,
 * its list changed meanwhile) makes the list stale: it is fetched again.
 */
function membersAfterJoin(
  state: RoomState,
  { room, members, membersUnchanged }: Extract<AckOf<'room:join'>, { ok: true }>,
  sentHash: string | undefined,
): Pick<RoomState, 'members' | 'membersStatus'> {
  if (!membersUnchanged) {
    return { members, membersStatus: room.presence === 'members' ? 'live' : 'sample' };
  }
  const held =
    sentHash !== undefined && state.members.length > 0 && membersHash(state.members) === sentHash;
  return { members: state.members, membersStatus: held ? 'live' : 'stale' };
}

/**
 * A join's answer applied to what the room held. Recovered: what came after `since` is merged.
 * Not recovered (a first join, too much missed, a reset history): the page replaces the stored
 * entries; unsent messages stay, and so do the entries heard during the join that are newer than
 * the page (see `underPage`). Either way the log has no hole up to the answer's `lastSeq`; a
 * hole among entries heard past it is a gap, fetched like any other.
 */
function joined(
  state: RoomState,
  result: AckOf<'room:join'>,
  me: string,
  sentHash: string | undefined,
): RoomState {
  if (!result.ok) {
    return { ...state, joined: false, error: result.error };
  }
  const { room, messages: entries, recovered } = result;
  const { timeline } = state;
  const before = newestSeq(timeline.messages);
  const messages = recovered
    ? mergeStored(timeline.messages, entries)
    : mergeStored(underPage(timeline, room.lastSeq), entries);
  const missed = recovered
    ? entries.filter((entry) => !isChange(entry) && entry.seq > before && entry.author.id !== me)
        .length
    : 0;
  const authors = new Set(entries.flatMap((entry) => (isChange(entry) ? [] : [entry.author.id])));
  return {
    ...state,
    details: sameDetails(state.details, room) ? state.details : detailsOf(room),
    timeline: {
      messages,
      lastSeq: Math.max(room.lastSeq, newestSeq(messages)),
      // After a recovery, what was older is what it was; a page says for itself.
      hasMore: recovered && before > 0 ? timeline.hasMore : result.hasMore,
      loadingOlder: false,
      gaps: gapsAbove(messages, room.lastSeq),
      heardWhileJoining: [],
    },
    ...membersAfterJoin(state, result, sentHash),
    membersHeard: NOTHING_HEARD,
    typing: typingStopped(state.typing, authors),
    unread: state.active ? 0 : state.unread + missed,
    joined: true,
    error: null,
  };
}

/**
 * What a join's page (an answer that is not a recovery) goes over: the unsent messages, and the
 * entries heard during the join newer than the page (`pageLastSeq`). The server lets the socket
 * hear the room before it reads the page, so a `message:new` newer than the page can come before
 * the answer, and nothing brings it again. Of what is held, only the entries heard since the
 * connection was lost (or the room last joined) are sure to be of the history answered: after a
 * reset one (a restarted server), `seq`s held from the old history may go past the new one's
 * last, and an entry heard at a `seq` the old history held too may have been merged into the old
 * copy (a later edit wins). So the ones heard are kept apart (`heardWhileJoining`), taken from
 * there.
 */
function underPage(timeline: Timeline, pageLastSeq: number): readonly ChatMessage[] {
  const unsent = keepUnsent(timeline.messages);
  const newer = timeline.heardWhileJoining.filter((entry) => (entry.seq ?? 0) > pageLastSeq);
  return newer.length === 0 ? unsent : [...newer, ...unsent];
}

/**
 * A live entry, heard while the room is not joined: also kept apart until the join's answer
 * (`heardWhileJoining`, see `underPage`).
 */
function heardWhileJoining(
  before: RoomState,
  next: RoomState,
  hear: (heard: readonly ChatMessage[]) => readonly ChatMessage[],
): RoomState {
  if (before.joined) return next;
  const { timeline } = next;
  const heard = hear(timeline.heardWhileJoining);
  return heard === timeline.heardWhileJoining
    ? next
    : withTimeline(next, { ...timeline, heardWhileJoining: heard });
}

/**
 * Arrivals and departures (a lone `presence:joined`/`presence:left`, or a `presence:changed`
 * batch): `left` first, then `joined`, by id. Applied whatever the list's status: to a sample it
 * stays a sample of who is present; while stale they are also kept, to apply over the list
 * fetched again.
 */
function presenceChanged(
  state: RoomState,
  left: readonly Member[],
  joined: readonly Member[],
): RoomState {
  const gone = new Set(left.map((member) => member.id));
  const arriving = new Map(joined.map((member) => [member.id, member]));
  for (const id of arriving.keys()) gone.delete(id);
  const present = new Set(state.members.map((member) => member.id));
  const added = [...arriving.values()].filter((member) => !present.has(member.id));
  const removes = state.members.some((member) => gone.has(member.id));
  const members =
    removes || added.length > 0
      ? [...state.members.filter((member) => !gone.has(member.id)), ...added]
      : state.members;
  const typing = typingStopped(state.typing, gone);
  let membersHeard = state.membersHeard;
  if (state.membersStatus === 'stale' && (left.length > 0 || joined.length > 0)) {
    const heard = { ...membersHeard };
    for (const member of left) heard[member.id] = { member, present: false };
    for (const member of joined) heard[member.id] = { member, present: true };
    membersHeard = heard;
  }
  if (members === state.members && typing === state.typing && membersHeard === state.membersHeard) {
    return state;
  }
  return { ...state, members, typing, membersHeard };
}

/** The room's presence mode as the server now says it, and what that makes of its list. */
function withPresenceMode(state: RoomState, mode: RoomDetails['presence']): RoomState {
  const status: MembersStatus =
    mode === 'count' ? 'sample' : state.membersStatus === 'sample' ? 'stale' : state.membersStatus;
  if (status === state.membersStatus) return state;
  return { ...state, membersStatus: status, membersHeard: NOTHING_HEARD };
}

/**
 * The list fetched again after it went stale: what was heard meanwhile goes over it. Dropped
 * when the list is no longer stale (the room went back to `count`, or a join answered it).
 */
function membersFetched(state: RoomState, result: PresenceFetch): RoomState {
  if (state.membersStatus !== 'stale' || !result.ok) return state;
  const byId = new Map(result.members.map((member) => [member.id, member]));
  for (const [id, { member, present }] of Object.entries(state.membersHeard)) {
    if (present) byId.set(id, member);
    else byId.delete(id);
  }
  return {
    ...state,
    members: [...byId.values()],
    membersStatus: 'live',
    membersHeard: NOTHING_HEARD,
  };
}

function history(
  state: RoomState,
  purpose: HistoryPurpose,
  result: AckOf<'message:history'>,
): RoomState {
  const { timeline } = state;
  if (purpose.kind === 'older') {
    if (!result.ok) {
      return timeline.loadingOlder
        ? withTimeline(state, { ...timeline, loadingOlder: false })
        : state;
    }
    const messages = mergeStored(timeline.messages, result.messages);
    return withTimeline(state, {
      ...timeline,
      messages,
      hasMore: result.hasMore,
      loadingOlder: false,
      gaps: openGaps(messages, timeline.gaps),
    });
  }
  // A gap's page: whatever it held, the gap is answered (entries the server no longer keeps
  // will not come by asking again). A failure leaves it open: asked again when worth it
  // (room-joins.ts), else recovered by the next join.
  if (!result.ok) return state;
  const messages = mergeStored(timeline.messages, result.messages);
  const gaps = openGaps(
    messages,
    timeline.gaps.flatMap((gap) => {
      if (gap.before !== purpose.gap.before) return [gap];
      // Below what the page reached, entries may still be missing (a gap wider than a page).
      const oldest = result.messages[0]?.seq;
      const floor = gap.before - gap.limit;
      return oldest !== undefined && oldest > floor && result.hasMore
        ? [{ before: oldest, limit: oldest - floor }]
        : [];
    }),
  );
  return withTimeline(state, {
    ...timeline,
    messages,
    lastSeq: Math.max(timeline.lastSeq, ...result.messages.map((entry) => entry.seq)),
    gaps,
  });
}

/** The entries missing before `seq` arrived, given what the timeline holds and was told. */
export function missingBefore(timeline: Timeline, seq: number): Gap | undefined {
  return gapBefore(timeline.messages, seq, timeline.lastSeq);
}

function holds(list: readonly ChatMessage[], seq: number): boolean {
  return list.some((message) => message.seq === seq);
}

/** New messages, with the `seq`s that arrived and the gap their arrival revealed. */
function withEntries(
  state: RoomState,
  messages: readonly ChatMessage[],
  seqs: readonly number[],
  gap: Gap | undefined,
): RoomState {
  const { timeline } = state;
  const lastSeq = Math.max(timeline.lastSeq, ...seqs);
  const gaps = openGaps(messages, gap ? [...timeline.gaps, gap] : timeline.gaps);
  if (messages === timeline.messages && lastSeq === timeline.lastSeq && gaps === timeline.gaps) {
    return state;
  }
  return withTimeline(state, { ...timeline, messages, lastSeq, gaps });
}

function withMessages(state: RoomState, messages: readonly ChatMessage[]): RoomState {
  return messages === state.timeline.messages
    ? state
    : withTimeline(state, { ...state.timeline, messages });
}

function withTimeline(state: RoomState, timeline: Timeline): RoomState {
  return { ...state, timeline };
}

function withTyping(state: RoomState, typing: readonly TypingEntry[]): RoomState {
  return typing === state.typing ? state : { ...state, typing };
}

function withDetails(state: RoomState, details: RoomDetails): RoomState {
  return sameDetails(state.details, details) ? state : { ...state, details };
}

function detailsOf(room: RoomDetails): RoomDetails {
  const { topic, memberCount, presence, visibility, readOnly, role } = room;
  return { topic, memberCount, presence, visibility, readOnly, role };
}

function sameDetails(a: RoomDetails, b: RoomDetails): boolean {
  return (
    a.topic === b.topic &&
    a.memberCount === b.memberCount &&
    a.presence === b.presence &&
    a.visibility === b.visibility &&
    a.readOnly === b.readOnly &&
    a.role === b.role
  );
}
