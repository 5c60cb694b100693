import {
  type AckDataOf,
  atLeast,
  type HistoryEntry,
  isChange,
  LIMITS,
  type Member,
  type Role,
  type RoomInfo,
  type ServerPayloadOf,
  type Visibility,
} from '@parley/protocol';
import {
  applyDeletion,
  applyEdit,
  applyOwnChange,
  type ChatMessage,
  gapBefore,
  keepUnsent,
  mergeStored,
  newestSeq,
} from './messages';

/**
 * One joined room as a tab shows it, and the pure changes the server's answers and events make
 * to it. The workspace client owns the socket and hands what arrives to these.
 */

export interface TypingEntry {
  user: Member;
  until: number;
}

/** A transient event a backend published to the room (a progress bar, a price…). */
export interface LiveEvent {
  type: string;
  data: unknown;
  receivedAt: number;
}

// The newest event of each type is kept; a room rarely has more than a few types.
const LIVE_EVENT_TYPES_KEPT = 5;

export interface RoomView {
  name: string;
  topic: string | null;
  memberCount: number;
  visibility: Visibility;
  /** Only moderators and owners post. */
  readOnly: boolean;
  /** This user's role in the room; null for none (a visitor of a public room). */
  role: Role | null;
  /** Newest `seq` the server reported; messages may not reach back that far yet. */
  lastSeq: number;
  messages: ChatMessage[];
  members: Member[];
  typing: TypingEntry[];
  /** The newest live event of each type, newest first. */
  liveEvents: LiveEvent[];
  hasMore: boolean;
  loadingOlder: boolean;
  unread: number;
  joined: boolean;
  error?: string;
  /** The join was refused (a private room, a ban): nothing to show but why. */
  refused?: boolean;
}

export function emptyRoom(name: string): RoomView {
  return {
    name,
    topic: null,
    memberCount: 0,
    visibility: 'public',
    readOnly: false,
    role: null,
    lastSeq: 0,
    messages: [],
    members: [],
    typing: [],
    liveEvents: [],
    hasMore: false,
    loadingOlder: false,
    unread: 0,
    joined: false,
  };
}

/** Whether this user may post in the room (a read-only room takes moderators and owners). */
export function mayPost(view: Pick<RoomView, 'readOnly' | 'role'>): boolean {
  return !view.readOnly || atLeast(view.role, 'moderator');
}

/** What the server says of the room itself (a join, a `room:update` answer). */
export function withRoomInfo(view: RoomView, room: RoomInfo): RoomView {
  return {
    ...view,
    topic: room.topic,
    memberCount: room.memberCount,
    visibility: room.visibility,
    readOnly: room.readOnly,
    role: room.role,
    lastSeq: Math.max(view.lastSeq, room.lastSeq),
  };
}

/** A join's answer applied to what the tab already had. */
export function applyJoin(view: RoomView, result: AckDataOf<'room:join'>): RoomView {
  return {
    ...withRoomInfo(view, result.room),
    joined: true,
    error: undefined,
    refused: undefined,
    lastSeq: result.room.lastSeq,
    members: result.members,
    // Recovered: what came after what we had. Not recovered: a fresh page replaces it all.
    messages: result.recovered
      ? mergeStored(view.messages, result.messages)
      : mergeStored(keepUnsent(view.messages), result.messages),
    hasMore: result.recovered && newestSeq(view.messages) > 0 ? view.hasMore : result.hasMore,
  };
}

/** Stored entries (sent, heard, or fetched to fill a gap) added to the room. */
export function withStored(view: RoomView, entries: readonly HistoryEntry[]): RoomView {
  if (entries.length === 0) return view;
  const authors = new Set(entries.flatMap((entry) => (isChange(entry) ? [] : [entry.author.id])));
  return {
    ...view,
    messages: mergeStored(view.messages, entries),
    lastSeq: Math.max(view.lastSeq, ...entries.map((entry) => entry.seq)),
    // Whoever just sent has stopped typing.
    typing: view.typing.filter((entry) => !authors.has(entry.user.id)),
  };
}

export function withEdit(view: RoomView, payload: ServerPayloadOf<'message:updated'>): RoomView {
  const { changeSeq, ...message } = payload;
  return {
    ...view,
    messages: applyEdit(view.messages, message, changeSeq),
    lastSeq: Math.max(view.lastSeq, changeSeq),
  };
}

/** The answer to this user's own edit or deletion (`by` is this user). */
export function withOwnChange(
  view: RoomView,
  { message, changeSeq }: AckDataOf<'message:edit'> | AckDataOf<'message:delete'>,
  by: Member,
): RoomView {
  return {
    ...view,
    messages: applyOwnChange(view.messages, message, changeSeq, by),
    lastSeq: Math.max(view.lastSeq, changeSeq ?? 0),
  };
}

export function withDeletion(
  view: RoomView,
  payload: ServerPayloadOf<'message:deleted'>,
): RoomView {
  return {
    ...view,
    messages: applyDeletion(view.messages, payload),
    lastSeq: Math.max(view.lastSeq, payload.changeSeq),
  };
}

/**
 * The entries missing before `seq` arrived, as a history query; undefined when none are (or
 * nothing was known before, so there is no gap to speak of).
 */
export function missingBefore(
  view: Pick<RoomView, 'messages' | 'lastSeq'>,
  seq: number,
): { before: number; limit: number } | undefined {
  return gapBefore(view.messages, seq, view.lastSeq, LIMITS.historyPageMax);
}

export function withRoomUpdate(view: RoomView, update: ServerPayloadOf<'room:updated'>): RoomView {
  const { topic, memberCount, visibility, readOnly } = update;
  return { ...view, topic, memberCount, visibility, readOnly };
}

/**
 * This user was added to the room or their role changed (`room:role`): what they may do follows
 * at once (the members panel, deleting others' messages, posting in a read-only room).
 */
export function withRole(view: RoomView, told: ServerPayloadOf<'room:role'>): RoomView {
  const { topic, memberCount, visibility, readOnly, role } = told;
  return { ...view, topic, memberCount, visibility, readOnly, role };
}

export function withPresence(view: RoomView, member: Member, present: boolean): RoomView {
  if (present) {
    return view.members.some((m) => m.id === member.id)
      ? view
      : { ...view, members: [...view.members, member] };
  }
  return {
    ...view,
    members: view.members.filter((m) => m.id !== member.id),
    typing: view.typing.filter((entry) => entry.user.id !== member.id),
  };
}

export function withTyping(view: RoomView, user: Member, typing: boolean, now: number): RoomView {
  const others = view.typing.filter((entry) => entry.user.id !== user.id);
  return {
    ...view,
    typing: typing ? [...others, { user, until: now + LIMITS.typingTimeoutMs }] : others,
  };
}

export function withLiveEvent(view: RoomView, type: string, data: unknown, now: number): RoomView {
  return {
    ...view,
    liveEvents: [
      { type, data, receivedAt: now },
      ...view.liveEvents.filter((event) => event.type !== type),
    ].slice(0, LIVE_EVENT_TYPES_KEPT),
  };
}
