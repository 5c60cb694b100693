import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/protocol';
import type { AppendedMessage, HistoryStore, MessageDraft, RoomFilter, RoomRef } from '../types';
import { refKey } from './keys';
import type { MemoryTokenBuckets } from './rate-limiter';

/**
 * One room's retained messages in a ring indexed by `seq`: appending is O(1), the oldest
 * message is overwritten once the retention is reached, and any `seq` is found by arithmetic.
 */
class RoomLog {
  private readonly ring: Message[] = [];
  private readonly byClientKey = new Map<string, Message>();
  lastSeq = 0;

  constructor(private readonly capacity: number) {}

  get firstSeq(): number {
    return Math.max(1, this.lastSeq - this.capacity + 1);
  }

  find(authorId: string, clientMsgId: string): Message | undefined {
    return this.byClientKey.get(clientKey(authorId, clientMsgId));
  }

  push(message: Message): void {
    const slot = (message.seq - 1) % this.capacity;
    const evicted = this.ring[slot];
    if (evicted?.clientMsgId)
      this.byClientKey.delete(clientKey(evicted.author.id, evicted.clientMsgId));
    this.ring[slot] = message;
    if (message.clientMsgId)
      this.byClientKey.set(clientKey(message.author.id, message.clientMsgId), message);
    this.lastSeq = message.seq;
  }

  /** Messages `from..to` inclusive, oldest first; the caller keeps them within retention. */
  slice(from: number, to: number): Message[] {
    const messages: Message[] = [];
    for (let seq = from; seq <= to; seq++) {
      const message = this.ring[(seq - 1) % this.capacity];
      if (message) messages.push(message);
    }
    return messages;
  }
}

function clientKey(authorId: string, clientMsgId: string): string {
  return `${authorId}\u0000${clientMsgId}`;
}

/** A sender's bucket in one room: per user per room, like a channel's slow mode. The room's own
 * bucket is keyed by the room alone (user ids never contain NUL, so the two never meet). */
function senderKey(ref: RoomRef, authorId: string): string {
  return `${refKey(ref)}\u0000${authorId}`;
}

export function createMemoryHistoryStore(
  retention: number,
  buckets: MemoryTokenBuckets,
): HistoryStore {
  const logs = new Map<string, RoomLog>();
  const subscribers: { listener: (appended: AppendedMessage) => void; wants: RoomFilter }[] = [];
  const logOf = (ref: RoomRef): RoomLog | undefined => logs.get(refKey(ref));

  return {
    async append(ref, draft: MessageDraft, { rates } = {}) {
      const existing = logOf(ref)?.find(draft.author.id, draft.clientMsgId);
      if (existing) return { message: existing, created: false };
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
      for (const { listener, wants } of subscribers) {
        if (wants(ref)) listener({ ref, message, origin: draft.origin });
      }
      return { message, created: true };
    },

    async page(ref, { before, limit }) {
      const log = logOf(ref);
      if (!log || log.lastSeq === 0) return { messages: [], hasMore: false };
      const newest = Math.min(before === undefined ? log.lastSeq : before - 1, log.lastSeq);
      const oldest = Math.max(newest - limit + 1, log.firstSeq);
      if (newest < oldest) return { messages: [], hasMore: false };
      return { messages: log.slice(oldest, newest), hasMore: oldest > log.firstSeq };
    },

    async since(ref, since, max) {
      const log = logOf(ref);
      const lastSeq = log?.lastSeq ?? 0;
      if (since > lastSeq || lastSeq - since > max) return undefined;
      if (!log || since === lastSeq) return [];
      if (since + 1 < log.firstSeq) return undefined;
      return log.slice(since + 1, lastSeq);
    },

    async lastSeq(ref) {
      return logOf(ref)?.lastSeq ?? 0;
    },

    onAppended(listener, wants = () => true) {
      subscribers.push({ listener, wants });
    },
  };
}
