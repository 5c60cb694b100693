import type { Member, Message } from '@parley/protocol';

/** How a message stands from this client's point of view. */
export type Delivery = 'pending' | 'sent' | 'failed';

/** A message as the list shows it: stored ones have a `seq`; local ones wait for it. */
export interface ChatMessage {
  /** Stable across the pending → sent change, so React keeps the same element. */
  key: string;
  seq?: number;
  /** The server's id, once stored. */
  id?: string;
  author: Member;
  text: string;
  sentAt: string;
  clientMsgId?: string;
  delivery: Delivery;
  /** Why it failed, in words for people. */
  error?: string;
}

export function fromStored(message: Message): ChatMessage {
  return {
    key: message.clientMsgId ? `${message.author.id}:${message.clientMsgId}` : message.id,
    seq: message.seq,
    id: message.id,
    author: message.author,
    text: message.text,
    sentAt: message.sentAt,
    clientMsgId: message.clientMsgId,
    delivery: 'sent',
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

/**
 * Adds stored messages to a list: each `seq` appears once, a stored message replaces the local
 * copy with the same author and `clientMsgId`, stored messages stay in `seq` order and local
 * ones (pending or failed) stay after them in the order they were written.
 */
export function mergeStored(
  list: readonly ChatMessage[],
  incoming: readonly Message[],
): ChatMessage[] {
  if (incoming.length === 0) return list as ChatMessage[];
  const bySeq = new Map<number, ChatMessage>();
  const local: ChatMessage[] = [];
  for (const message of list) {
    if (message.seq === undefined) local.push(message);
    else bySeq.set(message.seq, message);
  }
  const confirmedKeys = new Set<string>();
  for (const message of incoming) {
    const stored = fromStored(message);
    if (!bySeq.has(message.seq)) bySeq.set(message.seq, stored);
    confirmedKeys.add(stored.key);
  }
  const stored = [...bySeq.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return [...stored, ...local.filter((message) => !confirmedKeys.has(message.key))];
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
 * The newest `seq` up to which the list has no hole, counted from its oldest stored message:
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

export interface MessageGroup {
  key: string;
  author: Member;
  messages: ChatMessage[];
}

/** Consecutive messages of one author within `windowMs` of each other share one header. */
export function groupByAuthor(list: readonly ChatMessage[], windowMs = 5 * 60_000): MessageGroup[] {
  const groups: MessageGroup[] = [];
  for (const message of list) {
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
