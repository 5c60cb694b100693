import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/protocol';
import { defineScript } from 'redis';
import type { AppendedMessage, HistoryStore, MessageDraft, RoomRef } from '../types';
import type { RedisClient, SubscriberClient } from './client';
import type { RedisKeys } from './keys';

/**
 * Appends one message atomically: answers an earlier message with the same author and
 * clientMsgId if there is one; otherwise takes the room's next seq, stores the message, records
 * the idempotency key and drops whatever fell out of retention (with its idempotency key).
 * One script, so concurrent sends from any number of nodes get 1, 2, 3, … with no gap. It also
 * publishes the new message: Redis runs scripts one at a time and delivers a channel's messages
 * in order, so every node hears a room's messages in seq order, whichever node stored them.
 *
 * KEYS: seq, log, sent. ARGV: idempotency key, message JSON (without seq), retention, channel,
 * workspace, origin connection. Answers { created (0|1), seq, message JSON }.
 */
export const appendMessageScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then
  local found = redis.call('ZRANGEBYSCORE', KEYS[2], existing, existing)
  if found[1] then return {0, tonumber(existing), found[1]} end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], seq)
local cutoff = seq - tonumber(ARGV[3])
if cutoff > 0 then
  for _, json in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)) do
    local old = cjson.decode(json)
    redis.call('HDEL', KEYS[3], old.author.id .. '\\0' .. old.clientMsgId)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
end
redis.call('PUBLISH', ARGV[4],
  cjson.encode({workspace = ARGV[5], seq = seq, message = ARGV[2], origin = ARGV[6]}))
return {1, seq, ARGV[2]}`,
  parseCommand(
    parser,
    keys: { seq: string; log: string; sent: string },
    sentKey: string,
    json: string,
    retention: number,
    announce: { channel: string; workspace: string; origin: string },
  ) {
    parser.pushKeys([keys.seq, keys.log, keys.sent]);
    parser.push(sentKey, json, String(retention), announce.channel, announce.workspace);
    parser.push(announce.origin);
  },
  transformReply: ([created, seq, json]: [number, number, string]) => ({
    created: created === 1,
    seq: Number(seq),
    json,
  }),
});

/** The stored form: a message without its seq, which is the member's score. */
type StoredMessage = Omit<Message, 'seq'>;

/** What the append script publishes. */
interface Announcement {
  workspace: string;
  seq: number;
  message: string;
  origin: string;
}

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
  const listeners: ((appended: AppendedMessage) => void)[] = [];
  const hear = (payload: string) => {
    const { workspace, seq, message, origin } = JSON.parse(payload) as Announcement;
    const decoded = decode(message, seq);
    const appended = { ref: { workspace, room: decoded.room }, message: decoded, origin };
    for (const listener of listeners) listener(appended);
  };

  const roomKeys = (ref: RoomRef) => ({
    seq: keys.seq(ref),
    log: keys.log(ref),
    sent: keys.sent(ref),
  });

  return {
    async append(ref, draft: MessageDraft) {
      const stored: StoredMessage = {
        id: randomUUID(),
        room: ref.room,
        author: draft.author,
        text: draft.text,
        sentAt: new Date().toISOString(),
        clientMsgId: draft.clientMsgId,
      };
      const { created, seq, json } = await client.appendMessage(
        roomKeys(ref),
        sentKeyOf(draft.author.id, draft.clientMsgId),
        JSON.stringify(stored),
        retention,
        { channel: keys.appendedChannel, workspace: ref.workspace, origin: draft.origin ?? '' },
      );
      return { message: decode(json, seq), created };
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

    onAppended(listener) {
      // The subscriber client renews its subscriptions after every reconnect.
      // A failure here means the client was closed: there is nothing left to listen for.
      if (listeners.length === 0) subscriber.subscribe(keys.appendedChannel, hear).catch(() => {});
      listeners.push(listener);
    },
  };
}
