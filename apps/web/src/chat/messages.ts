import { type HistoryEntry, isChange, type Member, type Message } from '@parley/protocol';

/** How a message stands from this client's point of view. */
export type Delivery = 'pending' | 'sent' | 'failed';

/**
 * An entry of the list: stored ones have a `seq`; local ones wait for it. Besides messages, the
 * room's log holds edits and deletions at `seq`s of their own: they are kept as `hidden`
 * placeholders, never shown, so the list still knows which `seq`s it has (for gaps and `since`).
 */
export interface ChatMessage {
  /** Stable across the pending → sent change, so React keeps the same element. */
  key: string;
  seq?: number;
  /** The server's id, once stored (unknown for a change heard of live). */
  id?: string;
  author: Member;
  text: string;
  sentAt: string;
  clientMsgId?: string;
  delivery: Delivery;
  /** Why it failed, in words for people. */
  error?: string;
  /** When its author last edited it. */
  editedAt?: string;
  /** A tombstone: deleted, without text. */
  deleted?: true;
  /** An edit or deletion entry of the log: occupies its `seq`, shows nothing. */
  hidden?: true;
}

export function fromStored(message: Message): ChatMessage {
  return {
    key: message.clientMsgId ? `${message.author.id}:${message.clientMsgId}` : message.id,
    seq: message.seq,
    id: message.id,
    author: message.author,
    text: message.deleted ? '' : message.text,
    sentAt: message.sentAt,
    clientMsgId: message.clientMsgId,
    delivery: 'sent',
    ...(message.editedAt !== undefined && { editedAt: message.editedAt }),
    ...(message.deleted && { deleted: true }),
  };
}

export function localMessage(author: Member, text: string, clientMsgId: string): ChatMessage {
  return {
    key: `${author.id}:${clientMsgId}`,
    author,
    text,
    sentAt: new Date().toISOString(),
    clientMsgId,
    delivery: 'pending',
  };
}

/** The placeholder of a change entry at `seq`; its `id` when the entry itself was seen. */
export function changePlaceholder(seq: number, by: Member, at: string, id?: string): ChatMessage {
  return {
    key: id ?? `change:${seq}`,
    seq,
    ...(id !== undefined && { id }),
    author: by,
    text: '',
    sentAt: at,
    delivery: 'sent',
    hidden: true,
  };
}

/**
 * Adds stored entries to a list: each `seq` appears once; a stored message is the server's
 * truth and replaces whatever the list had at its `seq` (unless the list's copy is newer: a
 * tombstone stays one, a later edit stays), and the local copy with the same author and
 * `clientMsgId`. A change entry becomes a placeholder at its own `seq` and is applied to the
 * message it names, when the list holds it. Stored entries stay in `seq` order; local ones
 * (pending or failed) stay after them in the order they were written.
 */
export function mergeStored(
  list: readonly ChatMessage[],
  incoming: readonly HistoryEntry[],
): ChatMessage[] {
  if (incoming.length === 0) return list as ChatMessage[];
  const bySeq = new Map<number, ChatMessage>();
  const local: ChatMessage[] = [];
  for (const message of list) {
    if (message.seq === undefined) local.push(message);
    else bySeq.set(message.seq, message);
  }
  const confirmedKeys = new Set<string>();
  // In `seq` order, so a change applies after the message it names when both come at once.
  for (const entry of [...incoming].sort((a, b) => a.seq - b.seq)) {
    if (isChange(entry)) {
      const known = bySeq.get(entry.message.seq);
      if (known && !known.hidden) bySeq.set(entry.message.seq, newer(known, entry.message));
      bySeq.set(entry.seq, changePlaceholder(entry.seq, entry.by, entry.at, entry.id));
      continue;
    }
    const known = bySeq.get(entry.seq);
    const stored = known && !known.hidden ? newer(known, entry) : fromStored(entry);
    bySeq.set(entry.seq, stored);
    confirmedKeys.add(fromStored(entry).key);
  }
  const stored = [...bySeq.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return [...stored, ...local.filter((message) => !confirmedKeys.has(message.key))];
}

/**
 * The version of a message to keep: the incoming one, unless the list's is newer (answers can
 * cross a live event: a page read before a deletion may arrive after it). Keeps the list's key,
 * so React keeps the element.
 */
function newer(known: ChatMessage, incoming: Message): ChatMessage {
  if (known.deleted && !incoming.deleted) return known;
  if (!incoming.deleted && known.editedAt && (incoming.editedAt ?? '') < known.editedAt) {
    return known;
  }
  return { ...fromStored(incoming), key: known.key };
}

/** A message edited, as heard live: the message as it is now, and the change's `seq`. */
export function applyEdit(
  list: readonly ChatMessage[],
  message: Message,
  changeSeq: number,
): ChatMessage[] {
  const next = list.map((known) =>
    known.seq === message.seq && !known.hidden ? newer(known, message) : known,
  );
  const at = message.editedAt ?? new Date().toISOString();
  return withEntry(next, changePlaceholder(changeSeq, message.author, at));
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
): ChatMessage[] {
  const merged = mergeStored(list, [message]);
  if (changeSeq === undefined) return merged;
  const at = message.editedAt ?? new Date().toISOString();
  return withEntry(merged, changePlaceholder(changeSeq, by, at));
}

/** A message deleted, as heard live: a tombstone at its `seq`, when the list holds it. */
export function applyDeletion(
  list: readonly ChatMessage[],
  { id, seq, changeSeq }: { id: string; seq: number; changeSeq: number },
): ChatMessage[] {
  const target = list.find((known) => known.seq === seq && !known.hidden);
  const next = list.map((known) =>
    known === target && known.id === id ? tombstone(known) : known,
  );
  const by = target?.author ?? { id: '', name: '' };
  return withEntry(next, changePlaceholder(changeSeq, by, new Date().toISOString()));
}

function tombstone(message: ChatMessage): ChatMessage {
  const { editedAt: _edited, ...rest } = message;
  return { ...rest, text: '', deleted: true };
}

/**
 * Puts a stored entry at its place among the stored ones (local ones stay last), unless the
 * list has its `seq` already: what is there may know more (the change entry's id).
 */
function withEntry(list: readonly ChatMessage[], entry: ChatMessage): ChatMessage[] {
  const seq = entry.seq ?? 0;
  if (list.some((known) => known.seq === seq)) return list as ChatMessage[];
  const index = list.findIndex((known) => known.seq === undefined || known.seq > seq);
  return index < 0 ? [...list, entry] : [...list.slice(0, index), entry, ...list.slice(index)];
}

/** Drops stored messages (after a reset of the room's history) but keeps what is still unsent. */
export function keepUnsent(list: readonly ChatMessage[]): ChatMessage[] {
  return list.filter((message) => message.seq === undefined);
}

export function updateLocal(
  list: readonly ChatMessage[],
  key: string,
  change: Pick<ChatMessage, 'delivery' | 'error'>,
): ChatMessage[] {
  return list.map((message) =>
    message.key === key && message.seq === undefined ? { ...message, ...change } : message,
  );
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
 * The messages missing before `seq` arrived, as a history query; undefined when nothing is
 * missing (or nothing was known before, so there is no gap to speak of).
 */
export function gapBefore(
  list: readonly ChatMessage[],
  seq: number,
  knownLastSeq: number,
  maxPage: number,
): { before: number; limit: number } | undefined {
  const newest = Math.max(newestSeq(list), knownLastSeq);
  if (seq <= newest + 1) return undefined;
  return { before: seq, limit: Math.min(seq - newest - 1, maxPage) };
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
