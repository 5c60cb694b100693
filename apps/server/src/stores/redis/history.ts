import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/protocol';
import { defineScript } from 'redis';
import type {
  AppendedMessage,
  HistoryStore,
  MessageDraft,
  RateLimited,
  RoomFilter,
  SendRates,
} from '../types';
import { announcedMessage, announcedRoom, announcementHeader } from './announcement';
import type { RedisClient, SubscriberClient } from './client';
import type { RedisKeys } from './keys';
import { TAKE_TOKEN_LUA } from './rate-limiter';

type AppendReply = RateLimited | { created: boolean; seq: number; json: string };

/**
 * Appends one message atomically: answers an earlier message with the same author and
 * clientMsgId if there is one; otherwise takes a token from the author's bucket for the room and
 * from the room's bucket (when rates are given), refusing without taking either if one is empty;
 * otherwise takes the room's next seq, stores the message, records the idempotency key and drops
 * whatever fell out of retention. One script, so concurrent sends from any number of nodes get
 * 1, 2, 3, … with no gap, and a send costs one round trip, rate limits included. It also
 * publishes the new message (see announcement.ts): Redis runs scripts one at a time and delivers
 * a channel's messages in order, so every node hears a room's messages in seq order, whichever
 * node stored them.
 *
 * Nothing here decodes a stored message: idempotency keys live in a sorted set scored by seq, so
 * retention drops them by score, never by reading the message. Whatever bytes a message holds,
 * the script cannot fail on them (an earlier version decoded old messages with cjson to find
 * their keys, and one lone surrogate wedged the room for good: see docs/security.md). That
 * version's hash of keys is moved into the sorted set the first time a room is appended to.
 *
 * KEYS: seq, log, ids, the legacy ids hash, the author's bucket, the room's bucket (all in the
 * room's hash tag). ARGV: idempotency key, message JSON (without seq), retention, channel,
 * announcement header, then sender rate and burst, room rate and burst ('' for no limit).
 * Answers { 0 (existing) | 1 (created), seq, message JSON } or { 2 (sender) | 3 (room) rate
 * limited, retry after ms, '' }.
 */
export const appendMessageScript = defineScript({
  NUMBER_OF_KEYS: 6,
  SCRIPT: `${TAKE_TOKEN_LUA}
if redis.call('EXISTS', KEYS[4]) == 1 then
  local legacy = redis.call('HGETALL', KEYS[4])
  for i = 1, #legacy, 2 do
    local seq = tonumber(legacy[i + 1])
    if seq then redis.call('ZADD', KEYS[3], seq, legacy[i]) end
  end
  redis.call('DEL', KEYS[4])
end
local existing = redis.call('ZSCORE', KEYS[3], ARGV[1])
if existing then
  local found = redis.call('ZRANGEBYSCORE', KEYS[2], existing, existing)
  if found[1] then return {0, tonumber(existing), found[1]} end
end
if ARGV[6] ~= '' then
  local now = now_ms()
  local senderRate, senderBurst = tonumber(ARGV[6]), tonumber(ARGV[7])
  local sender = bucket_read(KEYS[5], senderRate, senderBurst, now)
  if sender < 1 then return {2, bucket_wait(sender, senderRate), ''} end
  if ARGV[8] ~= '' then
    local roomRate, roomBurst = tonumber(ARGV[8]), tonumber(ARGV[9])
    local room = bucket_read(KEYS[6], roomRate, roomBurst, now)
    if room < 1 then return {3, bucket_wait(room, roomRate), ''} end
    bucket_write(KEYS[6], room - 1, roomRate, roomBurst, now)
  end
  bucket_write(KEYS[5], sender - 1, senderRate, senderBurst, now)
end
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, ARGV[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
local cutoff = seq - tonumber(ARGV[3])
if cutoff > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', cutoff)
end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. seq .. '\\n' .. ARGV[2])
return {1, seq, ARGV[2]}`,
  parseCommand(
    parser,
    keys: AppendKeys,
    sentKey: string,
    json: string,
    retention: number,
    announce: { channel: string; header: string },
    rates: SendRates | undefined,
  ) {
    parser.pushKeys([keys.seq, keys.log, keys.ids, keys.legacyIds, keys.sender, keys.room]);
    parser.push(sentKey, json, String(retention), announce.channel, announce.header);
    const { sender, room } = rates ?? {};
    parser.push(sender ? String(sender.perSecond) : '', sender ? String(sender.burst) : '');
    parser.push(room ? String(room.perSecond) : '', room ? String(room.burst) : '');
  },
  transformReply: ([outcome, seqOrWait, json]: [number, number, string]): AppendReply =>
    outcome >= 2
      ? {
          rateLimited: true,
          retryAfterMs: Number(seqOrWait),
          scope: outcome === 3 ? 'room' : 'sender',
        }
      : { created: outcome === 1, seq: Number(seqOrWait), json },
});

interface AppendKeys {
  seq: string;
  log: string;
  ids: string;
  legacyIds: string;
  sender: string;
  room: string;
}

/** The stored form: a message without its seq, which is the member's score. */
type StoredMessage = Omit<Message, 'seq'>;

function decode(json: string, seq: number): Message {
  const stored = JSON.parse(json) as StoredMessage;
  return {
    id: stored.id,
    room: stored.room,
    seq,
    author: stored.author,
    text: stored.text,
    sentAt: stored.sentAt,
    clientMsgId: stored.clientMsgId,
  };
}

/** Same separator as the memory store: neither a user id nor a clientMsgId contains it. */
function sentKeyOf(authorId: string, clientMsgId: string): string {
  return `${authorId}\u0000${clientMsgId}`;
}

export function createRedisHistoryStore(
  client: RedisClient,
  subscriber: SubscriberClient,
  keys: RedisKeys,
  retention: number,
): HistoryStore {
  const subscribers: { listener: (appended: AppendedMessage) => void; wants: RoomFilter }[] = [];
  // Every node hears every room's messages: most are for rooms it has no sockets in, so those
  // are dropped on the header alone, and the rest decoded once for all listeners.
  const hear = (payload: string) => {
    const { ref, rest } = announcedRoom(payload);
    const interested = subscribers.filter(({ wants }) => wants(ref));
    if (interested.length === 0) return;
    const { origin, seq, json } = announcedMessage(payload, rest);
    const appended = { ref, message: decode(json, seq), origin: origin || undefined };
    for (const { listener } of interested) listener(appended);
  };

  return {
    async append(ref, draft: MessageDraft, { rates } = {}) {
      const stored: StoredMessage = {
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
        },
        sentKeyOf(draft.author.id, draft.clientMsgId),
        JSON.stringify(stored),
        retention,
        { channel: keys.appendedChannel, header: announcementHeader(ref, draft.origin ?? '') },
        rates,
      );
      if ('rateLimited' in reply) return reply;
      return { message: decode(reply.json, reply.seq), created: reply.created };
    },

    async page(ref, { before, limit }) {
      // Newest first, one more than asked: its presence says whether older messages exist.
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
      // One transaction, so the last seq and the messages after `since` describe the same moment.
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
      // The first message after `since` fell out of retention: the gap cannot be filled.
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
