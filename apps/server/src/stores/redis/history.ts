import { randomUUID } from 'node:crypto';
import type { HistoryEntry, Message, MessageChange } from '@parley/protocol';
import type { AppendedEntry, HistoryStore, MessageDraft, RoomFilter } from '../types';
import { announcedMessage, announcedRoom, announcementHeader } from './announcement';
import type { RedisClient, SubscriberClient } from './client';
import type { RedisKeys } from './keys';

/** The stored forms: an entry without its seq, which is the member's score. */
type StoredMessage = Omit<Message, 'seq'>;
type StoredChange = Omit<MessageChange, 'seq'>;

/** A message's stored form, its fields in one fixed order. */
function stored(message: Message): StoredMessage {
  return {
    id: message.id,
    room: message.room,
    author: message.author,
    text: message.text,
    sentAt: message.sentAt,
    clientMsgId: message.clientMsgId,
    ...(message.editedAt && { editedAt: message.editedAt }),
    ...(message.deleted && { deleted: true }),
  };
}

function decode(json: string, seq: number): HistoryEntry {
  const entry = JSON.parse(json) as StoredMessage | StoredChange;
  if ('type' in entry && entry.type === 'change') return { ...entry, seq };
  return { ...stored({ ...(entry as StoredMessage), seq }), seq };
}

/** Same separator as the memory store: neither a user id nor a clientMsgId contains it. */
function sentKeyOf(authorId: string, clientMsgId: string): string {
  return `${authorId}\u0000${clientMsgId}`;
}

/** A message changed by every node at once this many times in a row: give up (`internal`). */
const AMEND_ATTEMPTS = 5;

export function createRedisHistoryStore(
  client: RedisClient,
  subscriber: SubscriberClient,
  keys: RedisKeys,
  retention: number,
): HistoryStore {
  const subscribers: { listener: (appended: AppendedEntry) => void; wants: RoomFilter }[] = [];
  // Every node hears every room's entries: most are for rooms it has no sockets in, so those
  // are dropped on the header alone, and the rest decoded once for all listeners.
  const hear = (payload: string) => {
    const { ref, rest } = announcedRoom(payload);
    const interested = subscribers.filter(({ wants }) => wants(ref));
    if (interested.length === 0) return;
    const { origin, seq, json } = announcedMessage(payload, rest);
    const appended = { ref, entry: decode(json, seq), origin: origin || undefined };
    for (const { listener } of interested) listener(appended);
  };
  const announce = (ref: Parameters<typeof announcementHeader>[0], origin = '') => ({
    channel: keys.appendedChannel,
    header: announcementHeader(ref, origin),
  });

  return {
    async append(ref, draft: MessageDraft, { rates, mayPostReadOnly = false } = {}) {
      const message: StoredMessage = {
        id: randomUUID(),
        room: ref.room,
        author: draft.author,
        text: draft.text,
        sentAt: new Date().toISOString(),
        clientMsgId: draft.clientMsgId,
      };
      const reply = await client.appendMessage(
        {
          seq: keys.seq(ref),
          log: keys.log(ref),
          ids: keys.ids(ref),
          legacyIds: keys.legacyIds(ref),
          sender: keys.senderRate(ref, draft.author.id),
          room: keys.roomRate(ref),
          settings: keys.roomSettings(ref),
        },
        sentKeyOf(draft.author.id, draft.clientMsgId),
        JSON.stringify(message),
        retention,
        announce(ref, draft.origin),
        rates,
        mayPostReadOnly,
      );
      if ('rateLimited' in reply || 'readOnly' in reply) return reply;
      return { message: decode(reply.json, reply.seq) as Message, created: reply.created };
    },

    async amend(ref, seq, change, { action, by, origin }) {
      for (let attempt = 0; attempt < AMEND_ATTEMPTS; attempt++) {
        const [read] = await client.zRangeByScore(keys.log(ref), seq, seq);
        if (read === undefined) return undefined;
        const current = decode(read, seq);
        if ('type' in current) return undefined;
        const changed = change(current);
        if (!changed) return { message: current };
        const message: Message = { ...changed, id: current.id, seq };
        const entry: StoredChange = {
          type: 'change',
          id: randomUUID(),
          room: ref.room,
          action,
          message,
          by,
          at: new Date().toISOString(),
        };
        const reply = await client.amendMessage(
          { seq: keys.seq(ref), log: keys.log(ref), ids: keys.ids(ref) },
          seq,
          read,
          JSON.stringify(stored(message)),
          JSON.stringify(entry),
          retention,
          announce(ref, origin),
        );
        if (reply.outcome === 'gone') return undefined;
        if (reply.outcome === 'done') return { message, change: { ...entry, seq: reply.seq } };
        // Changed by someone else between the read and the write: apply to what is there now.
      }
      throw new Error(`message ${seq} of ${ref.workspace}/${ref.room} kept changing`);
    },

    async page(ref, { before, limit }) {
      // Newest first, one more than asked: its presence says whether older entries exist.
      const newestFirst = await client.zRangeWithScores(
        keys.log(ref),
        before === undefined ? '+inf' : `(${before}`,
        '-inf',
        { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: limit + 1 } },
      );
      const messages = newestFirst
        .slice(0, limit)
        .reverse()
        .map(({ value, score }) => decode(value, score));
      return { messages, hasMore: newestFirst.length > limit };
    },

    async since(ref, since, max) {
      // One transaction, so the last seq and the entries after `since` describe the same moment.
      const [lastSeqReply, after] = (await client
        .multi()
        .get(keys.seq(ref))
        .zRangeWithScores(keys.log(ref), `(${since}`, '+inf', {
          BY: 'SCORE',
          LIMIT: { offset: 0, count: max + 1 },
        })
        .exec()) as unknown as [string | null, { value: string; score: number }[]];
      const lastSeq = Number(lastSeqReply ?? 0);
      if (since > lastSeq || lastSeq - since > max) return undefined;
      if (since === lastSeq) return [];
      // The first entry after `since` fell out of retention: the gap cannot be filled.
      if (after[0]?.score !== since + 1) return undefined;
      return after.map(({ value, score }) => decode(value, score));
    },

    async lastSeq(ref) {
      return Number((await client.get(keys.seq(ref))) ?? 0);
    },

    onAppended(listener, wants = () => true) {
      // The subscriber client renews its subscriptions after every reconnect.
      // A failure here means the client was closed: there is nothing left to listen for.
      if (subscribers.length === 0)
        subscriber.subscribe(keys.appendedChannel, hear).catch(() => {});
      subscribers.push({ listener, wants });
    },
  };
}
