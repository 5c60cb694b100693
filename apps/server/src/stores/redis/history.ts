import { randomUUID } from 'node:crypto';
import type { HistoryEntry, Message, MessageChange } from '@parley/protocol';
import { StoreUnavailableError } from '../errors';
import type {
  AppendedEntry,
  HistoryStore,
  JoinHistory,
  JoinHistoryQuery,
  MessageDraft,
  RoomFilter,
  RoomRef,
} from '../types';
import { announcedMessage, announcedRoom, announcementHeader } from './announcement';
import type { RedisClient, SubscriberClient } from './connections';
import type { FlatEntries, JoinHistoryReply } from './history-scripts';
import { inSeqOrder } from './in-seq-order';
import type { RedisKeys } from './keys';

/** The stored forms: an entry without its seq, which is the member's score. */
type StoredMessage = Omit<Message, 'seq'>;
type StoredChange = Omit<MessageChange, 'seq'>;

/**
 * A message's stored form, its fields in one fixed order; with `seq` (last), the message as
 * read back. Built field by field: object spreads here cost three times the JSON.parse of the
 * entry, and every join's catch-up decodes its entries.
 */
function stored(message: StoredMessage): StoredMessage;
function stored(message: StoredMessage, seq: number): Message;
function stored(message: StoredMessage, seq?: number): StoredMessage | Message {
  const fields: StoredMessage & { seq?: number } = {
    id: message.id,
    room: message.room,
    author: message.author,
    text: message.text,
    sentAt: message.sentAt,
    clientMsgId: message.clientMsgId,
  };
  if (message.editedAt) fields.editedAt = message.editedAt;
  if (message.deleted) fields.deleted = true;
  if (seq !== undefined) fields.seq = seq;
  return fields;
}

function decode(json: string, seq: number): HistoryEntry {
  const entry = JSON.parse(json) as StoredMessage | StoredChange;
  if ('type' in entry && entry.type === 'change') return { ...entry, seq };
  return stored(entry as StoredMessage, seq);
}

/** Entries as a script answers them (member, score, member, score, …), decoded. */
function decodeEntries(flat: FlatEntries): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    entries.push(decode(String(flat[i]), Number(flat[i + 1])));
  }
  return entries;
}

/** Same separator as the memory store: neither a user id nor a clientMsgId contains it. */
function sentKeyOf(authorId: string, clientMsgId: string): string {
  return `${authorId}\u0000${clientMsgId}`;
}

/** A message changed by every node at once this many times in a row: give up (`internal`). */
const AMEND_ATTEMPTS = 5;

/**
 * Acknowledge a write only once this many replicas have it (WAIT), so a failover cannot lose
 * it; it is announced only then too, so nobody hears of a message a failover could take back.
 */
export interface Replication {
  replicas: number;
  timeoutMs: number;
  /** WAIT on the connection that wrote `key` (connections/types.ts). */
  waitFor(key: string, replicas: number, timeoutMs: number): Promise<number>;
}

/** How long a node holds an entry heard before one it has not heard yet (replicated mode). */
const REORDER_WINDOW_MS = 200;

export interface RedisHistoryStore extends HistoryStore {
  /**
   * A join's history from what `joinHistory` (history-scripts.ts) answered, read by a script
   * that reads more for the join in the same step (joins.ts).
   */
  joinAnswer(ref: RoomRef, query: JoinHistoryQuery, reply: JoinHistoryReply): Promise<JoinHistory>;
}

export function createRedisHistoryStore(
  client: RedisClient,
  subscriber: SubscriberClient,
  keys: RedisKeys,
  retention: number,
  replication?: Replication,
  /** Told of each announcement heard: for sockets here, or skipped on its header. */
  heard?: (delivered: boolean) => void,
): RedisHistoryStore {
  const subscribers: { listener: (appended: AppendedEntry) => void; wants: RoomFilter }[] = [];
  const deliver = (appended: AppendedEntry, interested: typeof subscribers) => {
    for (const { listener } of interested) listener(appended);
  };
  // Published by the script, entries are heard in seq order; published after replication, by
  // each node, they may not be: then they are put back in order.
  const ordered =
    replication &&
    inSeqOrder<{ appended: AppendedEntry; interested: typeof subscribers }>(
      ({ appended, interested }) => deliver(appended, interested),
      { windowMs: REORDER_WINDOW_MS },
    );
  // Every node hears every room's entries: most are for rooms it has no sockets in, so those
  // are dropped on the header alone, and the rest decoded once for all listeners.
  const hear = (payload: string) => {
    const { ref, rest } = announcedRoom(payload);
    const interested = subscribers.filter(({ wants }) => wants(ref));
    heard?.(interested.length > 0);
    if (interested.length === 0) return;
    const { origin, seq, json } = announcedMessage(payload, rest);
    const appended = { ref, entry: decode(json, seq), origin: origin || undefined };
    if (ordered) ordered.offer(`${ref.workspace}/${ref.room}`, seq, { appended, interested });
    else deliver(appended, interested);
  };
  const announce = (ref: Parameters<typeof announcementHeader>[0], origin = '') => ({
    // Replicated: the script does not publish; `replicated` does, once replicas have it.
    channel: replication ? '' : keys.appendedChannel,
    header: announcementHeader(ref, origin),
  });
  /**
   * Waits for the replicas, then announces the entry. Fewer replicas in time: the write may
   * still be lost in a failover, so the caller hears `unavailable` (outcome unknown).
   */
  const replicated = async (
    ref: RoomRef,
    announcement?: { header: string; seq: number; json: string },
  ) => {
    if (!replication) return;
    const { replicas, timeoutMs } = replication;
    const acknowledged = await replication.waitFor(keys.seq(ref), replicas, timeoutMs);
    if (acknowledged < replicas) {
      throw new StoreUnavailableError(
        `stored, but ${acknowledged} of ${replicas} replicas acknowledged it within ${timeoutMs} ms: the outcome is unknown`,
      );
    }
    if (announcement) {
      const { header, seq, json } = announcement;
      await client.publish(keys.appendedChannel, `${header}${seq}\n${json}`);
    }
  };

  const readJoin = (
    ref: RoomRef,
    { sinceId, recoveryMax, pageLimit }: JoinHistoryQuery,
    since: number | undefined,
  ) =>
    client.joinHistory(
      { seq: keys.seq(ref), log: keys.log(ref) },
      since,
      sinceId !== undefined,
      recoveryMax,
      pageLimit,
    );

  /** What `joinHistory` answered, as the join's history (read again in the rare case it must). */
  async function joinAnswer(
    ref: RoomRef,
    query: JoinHistoryQuery,
    read: JoinHistoryReply,
  ): Promise<JoinHistory> {
    const { since, sinceId, pageLimit } = query;
    let reply = read;
    if (reply.recovered) {
      const recovered = decodeEntries(reply.entries);
      // The client's entry at `since` is not the one stored there (the history was reset and
      // its numbering started again): it must start over from the latest page. Rare, so the
      // id is checked here, decoded as it always is, rather than by the script.
      const known = sinceId === undefined || !since || decode(reply.at, since).id === sinceId;
      if (known) return { lastSeq: reply.lastSeq, recovered };
      reply = await readJoin(ref, query, undefined);
    }
    // Newest first, one more than asked: its presence says whether older entries exist.
    const newestFirst = decodeEntries(reply.entries);
    return {
      lastSeq: reply.lastSeq,
      page: {
        messages: newestFirst.slice(0, pageLimit).reverse(),
        hasMore: newestFirst.length > pageLimit,
      },
    };
  }

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
      const announcement = announce(ref, draft.origin);
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
        announcement,
        rates,
        mayPostReadOnly,
      );
      if ('rateLimited' in reply || 'readOnly' in reply) return reply;
      // A resend answers the original once replicas have it too; it was announced before, or
      // (its replication not confirmed then) is found by clients as a gap.
      await replicated(
        ref,
        reply.created
          ? { header: announcement.header, seq: reply.seq, json: reply.json }
          : undefined,
      );
      return { message: decode(reply.json, reply.seq) as Message, created: reply.created };
    },

    async amend(ref, seq, change, { action, by, origin }) {
      for (let attempt = 0; attempt < AMEND_ATTEMPTS; attempt++) {
        const [read] = await client.zRangeByScore(keys.log(ref), seq, seq);
        if (read === undefined) return undefined;
        const current = decode(read, seq);
        if ('type' in current) return undefined;
        const changed = change(current);
        if (!changed) {
          // A repeat: what the first attempt wrote is confirmed replicated before it is answered.
          await replicated(ref);
          return { message: current };
        }
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
        const announcement = announce(ref, origin);
        const entryJson = JSON.stringify(entry);
        const reply = await client.amendMessage(
          { seq: keys.seq(ref), log: keys.log(ref), ids: keys.ids(ref) },
          seq,
          read,
          JSON.stringify(stored(message)),
          entryJson,
          retention,
          announcement,
        );
        if (reply.outcome === 'gone') return undefined;
        if (reply.outcome === 'done') {
          await replicated(ref, { header: announcement.header, seq: reply.seq, json: entryJson });
          return { message, change: { ...entry, seq: reply.seq } };
        }
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

    forJoin: async (ref, query) => joinAnswer(ref, query, await readJoin(ref, query, query.since)),

    joinAnswer,

    onAppended(listener, wants = () => true) {
      // The subscriber client renews its subscriptions after every reconnect.
      // A failure here means the client was closed: there is nothing left to listen for.
      if (subscribers.length === 0)
        subscriber.subscribe(keys.appendedChannel, hear).catch(() => {});
      subscribers.push({ listener, wants });
    },
  };
}
