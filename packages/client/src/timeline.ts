import {
  type ErrorBody,
  type HistoryEntry,
  isChange,
  LIMITS,
  type Member,
  type Message,
} from '@parley/protocol';

/**
 * A room's messages as a client holds them: stored entries in `seq` order, then this client's
 * own messages still waiting for a `seq` (the outbox). Pure functions; every one answers the
 * same array when nothing changed, so a view that compares references skips the work.
 */

/** How a message stands from this client's point of view. */
export type Delivery = 'pending' | 'sent' | 'failed';

/**
 * An entry of the list: stored ones have a `seq`; local ones wait for it. Besides messages, the
 * room's log holds edits and deletions at `seq`s of their own: they are kept as `hidden`
 * placeholders, never shown, so the list still knows which `seq`s it has (for gaps and `since`).
 */
export interface ChatMessage {
  /** Stable across the pending → sent change, so a view keeps the same element. */
  key: string;
  seq?: number;
  /** The server's id, once stored (unknown for a change heard of live). */
  id?: string;
  author: Member;
  text: string;
  sentAt: string;
  clientMsgId?: string;
  delivery: Delivery;
  /** Why it failed, as the server (or the client) said it: data, for the app to word. */
  error?: ErrorBody;
  /** When its author last edited it. */
  editedAt?: string;
  /** A tombstone: deleted, without text. */
  deleted?: true;
  /** An edit or deletion entry of the log: occupies its `seq`, shows nothing. */
  hidden?: true;
  /**
   * On a change entry: what it changed, kept so that the message it names, should it arrive
   * later (a gap filled after the live change), still shows the change.
   */
  change?: ChangeRecord;
}

export interface ChangeRecord {
  /** The `seq` of the message changed. */
  target: number;
  /** The message as the change left it (an edit, or a deletion read from history). */
  message?: Message;
  /** A deletion heard live: the id of the message deleted. */
  deletedId?: string;
}

/** Entries missing from the list: the `limit` entries before `before` (fetch with history). */
export interface Gap {
  before: number;
  limit: number;
}

export function storedKey(message: Pick<Message, 'id' | 'author' | 'clientMsgId'>): string {
  return message.clientMsgId ? `${message.author.id}:${message.clientMsgId}` : message.id;
}

export function fromStored(message: Message): ChatMessage {
  return {
    key: storedKey(message),
    seq: message.seq,
    id: message.id,
    author: message.author,
    text: message.deleted ? '' : message.text,
    sentAt: message.sentAt,
    ...(message.clientMsgId !== undefined && { clientMsgId: message.clientMsgId }),
    delivery: 'sent',
    ...(message.editedAt !== undefined && { editedAt: message.editedAt }),
    ...(message.deleted && { deleted: true }),
  };
}

export function localMessage(
  author: Member,
  text: string,
  clientMsgId: string,
  sentAt: string,
): ChatMessage {
  return {
    key: `${author.id}:${clientMsgId}`,
    author,
    text,
    sentAt,
    clientMsgId,
    delivery: 'pending',
  };
}

/** The placeholder of a change entry at `seq`; its `id` when the entry itself was seen. */
export function changePlaceholder(
  seq: number,
  by: Member,
  at: string,
  change: ChangeRecord,
  id?: string,
): ChatMessage {
  return {
    key: id ?? `change:${seq}`,
    seq,
    ...(id !== undefined && { id }),
    author: by,
    text: '',
    sentAt: at,
    delivery: 'sent',
    hidden: true,
    change,
  };
}

/**
 * Adds stored entries to a list: each `seq` appears once; a stored message is the server's
 * truth and replaces whatever the list had at its `seq` (unless the list's copy is newer: a
 * tombstone stays one, a later edit stays), and the local copy with the same author and
 * `clientMsgId`. A change entry becomes a placeholder at its own `seq` and is applied to the
 * message it names, now or when that message arrives. Stored entries stay in `seq` order; local
 * ones (pending or failed) stay after them in the order they were written.
 */
export function mergeStored(
  list: readonly ChatMessage[],
  incoming: readonly HistoryEntry[],
): readonly ChatMessage[] {
  if (incoming.length === 0) return list;
  const [only] = incoming;
  if (incoming.length === 1 && only && !isChange(only) && only.seq > newestSeq(list)) {
    return appended(list, only);
  }
  const bySeq = new Map<number, ChatMessage>();
  const local: ChatMessage[] = [];
  // Changes the list heard of before the message they name: applied when it arrives.
  const waiting = new Map<number, ChangeRecord[]>();
  for (const message of list) {
    if (message.seq === undefined) local.push(message);
    else bySeq.set(message.seq, message);
    if (message.change) {
      waiting.set(message.change.target, [
        ...(waiting.get(message.change.target) ?? []),
        message.change,
      ]);
    }
  }
  let changed = false;
  const put = (seq: number, next: ChatMessage) => {
    if (bySeq.get(seq) === next) return;
    bySeq.set(seq, next);
    changed = true;
  };
  const confirmedKeys = new Set<string>();
  // In `seq` order, so a change applies after the message it names when both come at once.
  for (const entry of [...incoming].sort((a, b) => a.seq - b.seq)) {
    if (isChange(entry)) {
      const known = bySeq.get(entry.message.seq);
      if (known && !known.hidden) put(entry.message.seq, newer(known, entry.message));
      const there = bySeq.get(entry.seq);
      // What is there already may know as much (its id); a live placeholder learns the id.
      if (!there || (there.hidden && there.id === undefined)) {
        put(
          entry.seq,
          changePlaceholder(
            entry.seq,
            entry.by,
            entry.at,
            { target: entry.message.seq, message: entry.message },
            entry.id,
          ),
        );
      }
      continue;
    }
    confirmedKeys.add(storedKey(entry));
    const known = bySeq.get(entry.seq);
    let stored = known && !known.hidden ? newer(known, entry) : fromStored(entry);
    // A change heard before the message it names (a gap filled late) still applies to it.
    for (const change of waiting.get(entry.seq) ?? []) stored = applyChange(stored, change);
    put(entry.seq, stored);
  }
  const unsent = local.filter((message) => !confirmedKeys.has(message.key));
  if (!changed && unsent.length === local.length) return list;
  const stored = [...bySeq.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return [...stored, ...unsent];
}

/** The common case, a message newer than any held: added after the stored ones. */
function appended(list: readonly ChatMessage[], message: Message): readonly ChatMessage[] {
  const key = storedKey(message);
  const at = list.findIndex((known) => known.seq === undefined);
  const stored = at < 0 ? list : list.slice(0, at);
  const local = at < 0 ? [] : list.slice(at);
  const confirmed = local.find((known) => known.key === key);
  return [...stored, fromStored(message), ...local.filter((known) => known !== confirmed)];
}

function applyChange(message: ChatMessage, change: ChangeRecord): ChatMessage {
  if (change.message) return newer(message, change.message);
  if (change.deletedId !== undefined && message.id === change.deletedId) return tombstone(message);
  return message;
}

/**
 * The version of a message to keep: the incoming one, unless the list's is newer (answers can
 * cross a live event: a page read before a deletion may arrive after it). Keeps the list's key,
 * so a view keeps the element, and the list's object when nothing differs.
 */
function newer(known: ChatMessage, incoming: Message): ChatMessage {
  if (known.deleted && !incoming.deleted) return known;
  if (!incoming.deleted && known.editedAt && (incoming.editedAt ?? '') < known.editedAt) {
    return known;
  }
  const next = { ...fromStored(incoming), key: known.key };
  return sameMessage(known, next) ? known : next;
}

function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return (
    a.seq === b.seq &&
    a.id === b.id &&
    a.text === b.text &&
    a.editedAt === b.editedAt &&
    a.deleted === b.deleted &&
    a.delivery === b.delivery &&
    a.author.id === b.author.id &&
    a.author.name === b.author.name &&
    a.hidden === b.hidden
  );
}

function tombstone(message: ChatMessage): ChatMessage {
  if (message.deleted) return message;
  const { editedAt: _edited, ...rest } = message;
  return { ...rest, text: '', deleted: true };
}

/** A message edited, as heard live: the message as it is now, and the change's `seq`. */
export function applyEdit(
  list: readonly ChatMessage[],
  message: Message,
  changeSeq: number,
): readonly ChatMessage[] {
  const next = replaceStored(list, message.seq, (known) => newer(known, message));
  const at = message.editedAt ?? message.sentAt;
  return withEntry(
    next,
    changePlaceholder(changeSeq, message.author, at, { target: message.seq, message }),
  );
}

/**
 * One's own edit or deletion, as its answer says: the message as it is now, and the change
 * entry's `seq` (absent when it was a repeat that changed nothing). No broadcast brings that
 * `seq` to the socket that made the change, so the answer fills it, or it would look like a
 * gap and be fetched again.
 */
export function applyOwnChange(
  list: readonly ChatMessage[],
  message: Message,
  changeSeq: number | undefined,
  by: Member,
  at: string,
): readonly ChatMessage[] {
  const merged = mergeStored(list, [message]);
  if (changeSeq === undefined) return merged;
  return withEntry(
    merged,
    changePlaceholder(changeSeq, by, message.editedAt ?? at, { target: message.seq, message }),
  );
}

/** A message deleted, as heard live: a tombstone at its `seq`, when the list holds it. */
export function applyDeletion(
  list: readonly ChatMessage[],
  { id, seq, changeSeq }: { id: string; seq: number; changeSeq: number },
  at: string,
): readonly ChatMessage[] {
  const target = list.find((known) => known.seq === seq && !known.hidden);
  const next = replaceStored(list, seq, (known) => (known.id === id ? tombstone(known) : known));
  const by = target?.author ?? { id: '', name: '' };
  return withEntry(next, changePlaceholder(changeSeq, by, at, { target: seq, deletedId: id }));
}

function replaceStored(
  list: readonly ChatMessage[],
  seq: number,
  change: (known: ChatMessage) => ChatMessage,
): readonly ChatMessage[] {
  const index = list.findIndex((known) => known.seq === seq && !known.hidden);
  const known = list[index];
  if (!known) return list;
  const next = change(known);
  return next === known ? list : list.with(index, next);
}

/**
 * Puts a stored entry at its place among the stored ones (local ones stay last), unless the
 * list has its `seq` already: what is there may know more (the change entry's id).
 */
function withEntry(list: readonly ChatMessage[], entry: ChatMessage): readonly ChatMessage[] {
  const seq = entry.seq ?? 0;
  if (list.some((known) => known.seq === seq)) return list;
  const index = list.findIndex((known) => known.seq === undefined || known.seq > seq);
  return index < 0 ? [...list, entry] : [...list.slice(0, index), entry, ...list.slice(index)];
}

/** Drops stored messages (after a reset of the room's history) but keeps what is still unsent. */
export function keepUnsent(list: readonly ChatMessage[]): readonly ChatMessage[] {
  return list.some((message) => message.seq !== undefined)
    ? list.filter((message) => message.seq === undefined)
    : list;
}

export function newestSeq(list: readonly ChatMessage[]): number {
  for (let i = list.length - 1; i >= 0; i--) {
    const seq = list[i]?.seq;
    if (seq !== undefined) return seq;
  }
  return 0;
}

export function oldestSeq(list: readonly ChatMessage[]): number | undefined {
  return list.find((message) => message.seq !== undefined)?.seq;
}

/**
 * The newest `seq` up to which the list has no hole, counted from its oldest stored entry:
 * what to pass as `since` when re-joining, so the server fills every gap.
 */
export function contiguousSeq(list: readonly ChatMessage[]): number {
  let last: number | undefined;
  for (const message of list) {
    if (message.seq === undefined) continue;
    if (last !== undefined && message.seq !== last + 1) break;
    last = message.seq;
  }
  return last ?? 0;
}

/**
 * Where a re-join resumes: `since` (the end of the first unbroken run) and the id of the entry
 * there, which lets the server tell a reset history from ours. A change heard of live has no
 * known id, so the point moves back to the newest entry of the run whose id is known.
 */
export function resumePoint(
  list: readonly ChatMessage[],
): { since: number; sinceId?: string } | undefined {
  if (newestSeq(list) === 0) return undefined;
  const end = contiguousSeq(list);
  const run = list.filter((message) => message.seq !== undefined && message.seq <= end);
  const known = run.findLast((message) => message.id !== undefined);
  if (!known?.seq) return { since: end };
  return { since: known.seq, sinceId: known.id };
}

/**
 * The entries missing before `seq` arrived; undefined when nothing is missing (or nothing was
 * known before, so there is no gap to speak of). `knownLastSeq` is the newest `seq` the server
 * reported, which the list may not hold.
 */
export function gapBefore(
  list: readonly ChatMessage[],
  seq: number,
  knownLastSeq: number,
): Gap | undefined {
  const newest = Math.max(newestSeq(list), knownLastSeq);
  if (newest === 0 || seq <= newest + 1) return undefined;
  return { before: seq, limit: seq - newest - 1 };
}

/**
 * The holes among the list's stored entries newer than `reached` (a `seq` up to which nothing is
 * missing), as gaps: each one the entries missing before the entry that follows it.
 */
export function gapsAbove(list: readonly ChatMessage[], reached: number): Gap[] {
  const gaps: Gap[] = [];
  let previous = reached;
  for (const message of list) {
    if (message.seq === undefined || message.seq <= previous) continue;
    if (message.seq > previous + 1) {
      gaps.push({ before: message.seq, limit: message.seq - previous - 1 });
    }
    previous = message.seq;
  }
  return gaps;
}

/** What to ask `message:history` for to fill (the newest part of) a gap. */
export function gapRequest(gap: Gap): Gap {
  return { before: gap.before, limit: Math.min(gap.limit, LIMITS.historyPageMax) };
}

/**
 * The gaps still open once the list holds what it holds: a gap shrinks to the entries still
 * missing below the newest ones that arrived, and goes when none are. Answers the same array
 * when none changed.
 */
export function openGaps(list: readonly ChatMessage[], gaps: readonly Gap[]): readonly Gap[] {
  if (gaps.length === 0) return gaps;
  const present = new Set<number>();
  for (const message of list) if (message.seq !== undefined) present.add(message.seq);
  let changed = false;
  const open: Gap[] = [];
  for (const gap of gaps) {
    const next = shrink(gap, present);
    if (next !== gap) changed = true;
    if (next) open.push(next);
  }
  return changed ? open : gaps;
}

/** The part of `gap` still missing: down from its top to the first hole, and all below it. */
function shrink(gap: Gap, present: ReadonlySet<number>): Gap | null {
  const floor = gap.before - gap.limit;
  let top = gap.before;
  while (top > floor && present.has(top - 1)) top--;
  if (top === floor) return null;
  return top === gap.before ? gap : { before: top, limit: top - floor };
}

/** The entries people see: messages and tombstones, not the log's change entries. */
export function visibleMessages(list: readonly ChatMessage[]): ChatMessage[] {
  return list.filter((message) => !message.hidden);
}

export interface MessageGroup {
  key: string;
  author: Member;
  messages: ChatMessage[];
}

/** Consecutive messages of one author within `windowMs` of each other share one header. */
export function groupByAuthor(list: readonly ChatMessage[], windowMs = 5 * 60_000): MessageGroup[] {
  const groups: MessageGroup[] = [];
  for (const message of visibleMessages(list)) {
    const group = groups.at(-1);
    const previous = group?.messages.at(-1);
    if (
      group &&
      previous &&
      group.author.id === message.author.id &&
      Date.parse(message.sentAt) - Date.parse(previous.sentAt) <= windowMs
    ) {
      group.messages.push(message);
    } else {
      groups.push({ key: message.key, author: message.author, messages: [message] });
    }
  }
  return groups;
}
