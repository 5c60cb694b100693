import { defineScript } from '@redis/client';
import type { RateLimited, ReadOnlyRefusal, SendRates } from '../types';
import { TAKE_TOKEN_LUA } from './rate-limiter';

/**
 * Lua shared by the scripts that add to a room's log (KEYS[1] seq, KEYS[2] log, KEYS[3] ids):
 * takes the next seq (left in `seq`), stores the entry at it (and its idempotency key, for a
 * message), drops what fell out of retention from the log and the keys, and publishes the entry
 * on the room's channel, so every node hears the log in seq order — unless the channel is ''
 * (the node publishes it itself, once replicas have it: see history.ts).
 */
function appendEntryLua(argv: {
  entry: string;
  idKey?: string;
  retention: string;
  channel: string;
  header: string;
}): string {
  return `local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, ${argv.entry})
${argv.idKey ? `redis.call('ZADD', KEYS[3], seq, ${argv.idKey})` : ''}
local cutoff = seq - tonumber(${argv.retention})
if cutoff > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', cutoff)
end
if ${argv.channel} ~= '' then
  redis.call('PUBLISH', ${argv.channel}, ${argv.header} .. seq .. '\\n' .. ${argv.entry})
end`;
}

type AppendReply = RateLimited | ReadOnlyRefusal | { created: boolean; seq: number; json: string };

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
 * A read-only room (its settings' `readOnly` is "1") takes messages only from authors who may
 * post there, checked in the same step.
 *
 * KEYS: seq, log, ids, the legacy ids hash, the author's bucket, the room's bucket, the room's
 * settings (all in the room's hash tag). ARGV: idempotency key, message JSON (without seq),
 * retention, channel, announcement header, then sender rate and burst, room rate and burst ('' for
 * no limit), and '1' when the author may post in a read-only room. Answers { 0 (existing) |
 * 1 (created), seq, message JSON }, { 2 (sender) | 3 (room) rate limited, retry after ms, '' } or
 * { 4 (read-only), 0, '' }.
 */
export const appendMessageScript = defineScript({
  NUMBER_OF_KEYS: 7,
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
if ARGV[10] ~= '1' and redis.call('HGET', KEYS[7], 'readOnly') == '1' then return {4, 0, ''} end
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
${appendEntryLua({ entry: 'ARGV[2]', idKey: 'ARGV[1]', retention: 'ARGV[3]', channel: 'ARGV[4]', header: 'ARGV[5]' })}
return {1, seq, ARGV[2]}`,
  parseCommand(
    parser,
    keys: AppendKeys,
    sentKey: string,
    json: string,
    retention: number,
    announce: { channel: string; header: string },
    rates: SendRates | undefined,
    mayPostReadOnly: boolean,
  ) {
    parser.pushKeys([
      keys.seq,
      keys.log,
      keys.ids,
      keys.legacyIds,
      keys.sender,
      keys.room,
      keys.settings,
    ]);
    parser.push(sentKey, json, String(retention), announce.channel, announce.header);
    const { sender, room } = rates ?? {};
    parser.push(sender ? String(sender.perSecond) : '', sender ? String(sender.burst) : '');
    parser.push(room ? String(room.perSecond) : '', room ? String(room.burst) : '');
    parser.push(mayPostReadOnly ? '1' : '');
  },
  transformReply: ([outcome, seqOrWait, json]: [number, number, string]): AppendReply =>
    outcome === 4
      ? { readOnly: true }
      : outcome >= 2
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
  settings: string;
}

/**
 * Changes a message in place and appends the change as an entry, atomically: replaces the member
 * at the message's seq only if it is still exactly what the caller read (a compare-and-set on the
 * stored string, so no decoding), then takes the next seq for the change entry, trims to the
 * retention and publishes the entry like a message.
 *
 * KEYS: seq, log, ids. ARGV: the message's seq, the member as read, the new member, the change
 * entry (without seq), retention, channel, announcement header. Answers { 0 (gone) | 1 (changed
 * meanwhile: read again) | 2 (done), the change's seq }.
 */
export const amendMessageScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
local found = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
if not found[1] then return {0, 0} end
if found[1] ~= ARGV[2] then return {1, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
${appendEntryLua({ entry: 'ARGV[4]', retention: 'ARGV[5]', channel: 'ARGV[6]', header: 'ARGV[7]' })}
return {2, seq}`,
  parseCommand(
    parser,
    keys: { seq: string; log: string; ids: string },
    seq: number,
    read: string,
    replacement: string,
    entry: string,
    retention: number,
    announce: { channel: string; header: string },
  ) {
    parser.pushKeys([keys.seq, keys.log, keys.ids]);
    parser.push(String(seq), read, replacement, entry, String(retention));
    parser.push(announce.channel, announce.header);
  },
  transformReply: ([outcome, seq]: [number, number]) => ({
    outcome: (['gone', 'changed', 'done'] as const)[outcome] ?? 'gone',
    seq: Number(seq),
  }),
});

/** A room's log entries as a script answers them: member, score, member, score, … */
export type FlatEntries = Array<string | number>;

/**
 * Lua: `joinHistory(seqKey, logKey, since, wantsAt, max, limit)`: a join's history in one step
 * (HistoryStore.forJoin), so the last seq, the check of the entry at `since` and what came after
 * it describe one moment. With `since` ('' for none), when it is within `max` of the last seq and
 * every entry after it is retained: { last seq, 1, the entry stored at `since` (when `wantsAt` is
 * '1' and `since` > 0; else ''), the entries after `since`, oldest first }. The caller checks that
 * entry's id (nothing is decoded here: see appendMessageScript) and reads again without `since`
 * if it is not the one the client has. No entry stored at `since` when one is wanted, and
 * otherwise: { last seq, 2, '', the newest `limit` + 1 entries, newest first }. A function, so a
 * script that reads more for a join (joins.ts) reads this in the same step.
 */
export const JOIN_HISTORY_LUA = `
local function joinHistory(seqKey, logKey, sinceArg, wantsAt, maxArg, limitArg)
  local last = tonumber(redis.call('GET', seqKey) or '0')
  if sinceArg ~= '' then
    local since = tonumber(sinceArg)
    local max = tonumber(maxArg)
    if since <= last and last - since <= max then
      local at = ''
      if wantsAt == '1' and since > 0 then
        at = redis.call('ZRANGEBYSCORE', logKey, since, since)[1] or false
      end
      if at then
        if since == last then return {last, 1, at, {}} end
        local after = redis.call('ZRANGEBYSCORE', logKey, '(' .. sinceArg, '+inf', 'WITHSCORES', 'LIMIT', 0, max)
        if after[2] and tonumber(after[2]) == since + 1 then return {last, 1, at, after} end
      end
    end
  end
  local limit = tonumber(limitArg)
  return {last, 2, '', redis.call('ZREVRANGEBYSCORE', logKey, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)}
end`;

/** What a join asks of the room's history, as `joinHistory`'s four arguments. */
export function joinHistoryArgs(
  since: number | undefined,
  wantsEntryAtSince: boolean,
  max: number,
  pageLimit: number,
): [string, string, string, string] {
  return [
    since === undefined ? '' : String(since),
    wantsEntryAtSince ? '1' : '',
    String(max),
    String(pageLimit),
  ];
}

/** A `joinHistory` answer as Redis sends it. */
export type JoinHistoryRaw = [lastSeq: number, outcome: number, at: string, entries: FlatEntries];

export function joinHistoryReply([lastSeq, outcome, at, entries]: JoinHistoryRaw) {
  return {
    lastSeq: Number(lastSeq),
    recovered: Number(outcome) === 1,
    /** The entry stored at `since`, when asked for ('' otherwise). */
    at,
    entries,
  };
}

export type JoinHistoryReply = ReturnType<typeof joinHistoryReply>;

/** `joinHistory` alone. KEYS: seq, log. ARGV: its four arguments (`joinHistoryArgs`). */
export const joinHistoryScript = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `${JOIN_HISTORY_LUA}
return joinHistory(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])`,
  parseCommand(
    parser,
    keys: { seq: string; log: string },
    since: number | undefined,
    wantsEntryAtSince: boolean,
    max: number,
    pageLimit: number,
  ) {
    parser.pushKeys([keys.seq, keys.log]);
    parser.push(...joinHistoryArgs(since, wantsEntryAtSince, max, pageLimit));
  },
  transformReply: joinHistoryReply,
});
