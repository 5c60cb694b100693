import { randomUUID } from 'node:crypto';
import { type HistoryEntry, isChange, type Message, type MessageChange } from '@parley/protocol';
import type {
  AppendedEntry,
  HistoryPage,
  HistoryStore,
  MessageDraft,
  RoomFilter,
  RoomRef,
} from '../types';
import { refKey } from './keys';
import type { MemoryTokenBuckets } from './rate-limiter';

/**
 * One room's retained entries in a ring indexed by `seq`: appending is O(1), the oldest entry is
 * overwritten once the retention is reached, and any `seq` is found by arithmetic.
 */
class RoomLog {
  private readonly ring: HistoryEntry[] = [];
  private readonly byClientKey = new Map<string, Message>();
  lastSeq = 0;

  constructor(private readonly capacity: number) {}

  get firstSeq(): number {
    return Math.max(1, this.lastSeq - this.capacity + 1);
  }

  find(authorId: string, clientMsgId: string): Message | undefined {
    return this.byClientKey.get(clientKey(authorId, clientMsgId));
  }

  /** The entry at `seq`, while it is retained. */
  at(seq: number): HistoryEntry | undefined {
    if (seq < this.firstSeq || seq > this.lastSeq) return undefined;
    return this.ring[(seq - 1) % this.capacity];
  }

  push(entry: HistoryEntry): void {
    const slot = (entry.seq - 1) % this.capacity;
    const evicted = this.ring[slot];
    if (evicted && !isChange(evicted) && evicted.clientMsgId)
      this.byClientKey.delete(clientKey(evicted.author.id, evicted.clientMsgId));
    this.ring[slot] = entry;
    this.remember(entry);
    this.lastSeq = entry.seq;
  }

  /** Puts a changed message in its own slot. */
  replace(message: Message): void {
    this.ring[(message.seq - 1) % this.capacity] = message;
    this.remember(message);
  }

  private remember(entry: HistoryEntry): void {
    if (!isChange(entry) && entry.clientMsgId)
      this.byClientKey.set(clientKey(entry.author.id, entry.clientMsgId), entry);
  }

  /** Entries `from..to` inclusive, oldest first; the caller keeps them within retention. */
  slice(from: number, to: number): HistoryEntry[] {
    const entries: HistoryEntry[] = [];
    for (let seq = from; seq <= to; seq++) {
      const entry = this.ring[(seq - 1) % this.capacity];
      if (entry) entries.push(entry);
    }
    return entries;
  }
}

/** Up to `limit` entries with `seq < before` (default: the newest), oldest first. */
function pageOf(
  log: RoomLog | undefined,
  { before, limit }: { before?: number; limit: number },
): HistoryPage {
  if (!log || log.lastSeq === 0) return { messages: [], hasMore: false };
  const newest = Math.min(before === undefined ? log.lastSeq : before - 1, log.lastSeq);
  const oldest = Math.max(newest - limit + 1, log.firstSeq);
  if (newest < oldest) return { messages: [], hasMore: false };
  return { messages: log.slice(oldest, newest), hasMore: oldest > log.firstSeq };
}

/** Every entry after `since` if at most `max` and all retained; else undefined. */
function sinceOf(log: RoomLog | undefined, since: number, max: number): HistoryEntry[] | undefined {
  const lastSeq = log?.lastSeq ?? 0;
  if (since > lastSeq || lastSeq - since > max) return undefined;
  if (!log || since === lastSeq) return [];
  if (since + 1 < log.firstSeq) return undefined;
  return log.slice(since + 1, lastSeq);
}

function clientKey(authorId: string, clientMsgId: string): string {
  return `${authorId}\u0000${clientMsgId}`;
}

/**
 * A sender's bucket in one room: per user per room, like a channel's slow mode. The room's own
 * bucket is keyed by the room alone (user ids never contain NUL, so the two never meet).
 */
function senderKey(ref: RoomRef, authorId: string): string {
  return `${refKey(ref)}\u0000${authorId}`;
}

export function createMemoryHistoryStore(
  retention: number,
  buckets: MemoryTokenBuckets,
  /** Whether the room is read-only now (the room store's answer, in the same step). */
  readOnlyNow: (ref: RoomRef) => boolean = () => false,
): HistoryStore {
  const logs = new Map<string, RoomLog>();
  const subscribers: { listener: (appended: AppendedEntry) => void; wants: RoomFilter }[] = [];
  const logOf = (ref: RoomRef): RoomLog | undefined => logs.get(refKey(ref));
  const announce = (ref: RoomRef, entry: HistoryEntry, origin: string | undefined) => {
    for (const { listener, wants } of subscribers) {
      if (wants(ref)) listener({ ref, entry, origin });
    }
  };

  return {
    async append(ref, draft: MessageDraft, { rates, mayPostReadOnly = false } = {}) {
      const existing = logOf(ref)?.find(draft.author.id, draft.clientMsgId);
      if (existing) return { message: existing, created: false };
      if (!mayPostReadOnly && readOnlyNow(ref)) return { readOnly: true };
      if (rates) {
        const wanted = [{ key: senderKey(ref, draft.author.id), rate: rates.sender }];
        if (rates.room) wanted.push({ key: refKey(ref), rate: rates.room });
        const decision = buckets.takeAll(wanted);
        if (!decision.allowed) {
          const scope = decision.index === 0 ? 'sender' : 'room';
          return { rateLimited: true, retryAfterMs: decision.retryAfterMs, scope };
        }
      }
      let log = logOf(ref);
      if (!log) {
        log = new RoomLog(retention);
        logs.set(refKey(ref), log);
      }
      const message: Message = {
        id: randomUUID(),
        room: ref.room,
        seq: log.lastSeq + 1,
        author: draft.author,
        text: draft.text,
        sentAt: new Date().toISOString(),
        clientMsgId: draft.clientMsgId,
      };
      log.push(message);
      announce(ref, message, draft.origin);
      return { message, created: true };
    },

    async amend(ref, seq, change, { action, by, origin }) {
      const log = logOf(ref);
      const current = log?.at(seq);
      if (!log || !current || isChange(current)) return undefined;
      const changed = change(current);
      if (!changed) return { message: current };
      const message: Message = { ...changed, seq: current.seq, id: current.id };
      log.replace(message);
      const entry: MessageChange = {
        type: 'change',
        id: randomUUID(),
        room: ref.room,
        seq: log.lastSeq + 1,
        action,
        message,
        by,
        at: new Date().toISOString(),
      };
      log.push(entry);
      announce(ref, entry, origin);
      return { message, change: entry };
    },

    async page(ref, query) {
      return pageOf(logOf(ref), query);
    },

    async since(ref, since, max) {
      return sinceOf(logOf(ref), since, max);
    },

    async forJoin(ref, { since, sinceId, pageLimit, recoveryMax }) {
      const log = logOf(ref);
      const lastSeq = log?.lastSeq ?? 0;
      if (since !== undefined) {
        const stored = sinceId !== undefined && since > 0 ? log?.at(since) : undefined;
        const known = sinceId === undefined || since <= 0 || stored?.id === sinceId;
        const recovered = known ? sinceOf(log, since, recoveryMax) : undefined;
        if (recovered) return { lastSeq, recovered };
      }
      return { lastSeq, page: pageOf(log, { limit: pageLimit }) };
    },

    async lastSeq(ref) {
      return logOf(ref)?.lastSeq ?? 0;
    },

    onAppended(listener, wants = () => true) {
      subscribers.push({ listener, wants });
    },
  };
}
