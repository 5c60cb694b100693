import { isWellFormed, type Message, toWellFormed } from '@parley/protocol';
import { defineScript, RESP_TYPES } from '@redis/client';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';

/**
 * Moves a room's idempotency keys from the hash older versions kept them in to the sorted set
 * (what the append script also does on its first use), then drops what is past retention from
 * both the log and the keys — by score, never decoding a message.
 *
 * KEYS: seq, log, ids, legacy ids. ARGV: retention. Answers { keys moved, entries dropped }.
 */
export const repairRoomScript = defineScript({
  NUMBER_OF_KEYS: 4,
  SCRIPT: `
local moved = 0
if redis.call('EXISTS', KEYS[4]) == 1 then
  local legacy = redis.call('HGETALL', KEYS[4])
  for i = 1, #legacy, 2 do
    local seq = tonumber(legacy[i + 1])
    if seq then redis.call('ZADD', KEYS[3], seq, legacy[i]); moved = moved + 1 end
  end
  redis.call('DEL', KEYS[4])
end
local cutoff = tonumber(redis.call('GET', KEYS[1]) or '0') - tonumber(ARGV[1])
local dropped = 0
if cutoff > 0 then
  dropped = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', cutoff)
end
return {moved, dropped}`,
  parseCommand(
    parser,
    keys: { seq: string; log: string; ids: string; legacyIds: string },
    retention: number,
  ) {
    parser.pushKeys([keys.seq, keys.log, keys.ids, keys.legacyIds]);
    parser.push(String(retention));
  },
  transformReply: ([moved, dropped]: [number, number]) => ({ moved, dropped }),
});

/**
 * Adds every room of a workspace that is in neither name index to the public one (rooms older
 * versions made, all public; ZADD NX leaves the rest).
 *
 * KEYS: rooms hash, public names index, private names index. Answers how many were added.
 */
export const indexAllRoomsScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
local added = 0
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not redis.call('ZSCORE', KEYS[3], name) then
    added = added + redis.call('ZADD', KEYS[2], 'NX', 0, name)
  end
end
return added`,
  parseCommand(parser, keys: { rooms: string; names: string; privateNames: string }) {
    parser.pushKeys([keys.rooms, keys.names, keys.privateNames]);
  },
  transformReply: (reply: number) => reply,
});

export interface RepairReport {
  rooms: number;
  /** Idempotency keys moved out of the old hash. */
  keysMoved: number;
  /** Messages past retention that a wedged room had kept. */
  messagesTrimmed: number;
  /** Stored messages whose text or author name was not well-formed Unicode (now U+FFFD). */
  messagesRewritten: number;
  /** Room topics likewise. */
  topicsRewritten: number;
  /** Rooms added to their workspace's name index (made by versions without it). */
  roomsIndexed: number;
}

/**
 * Repairs what versions before 0.2 could leave in Redis: rooms wedged by a stored lone
 * surrogate (their append script failed on it, so they stopped publishing and trimming) and
 * ill-formed text those versions accepted. Walks every room under the key prefix; safe to run
 * while nodes serve, and again (a second run changes nothing).
 */
export async function repairRooms(
  client: RedisClient,
  keys: RedisKeys,
  {
    retention,
    primaries = [client],
  }: {
    retention: number;
    /** One client per master, to SCAN every key (a cluster's keys are spread over them). */
    primaries?: RedisClient[];
  },
): Promise<RepairReport> {
  const report: RepairReport = {
    rooms: 0,
    keysMoved: 0,
    messagesTrimmed: 0,
    messagesRewritten: 0,
    topicsRewritten: 0,
    roomsIndexed: 0,
  };
  // Raw bytes, so a member that is not even UTF-8 can still be found and replaced as stored.
  const raw = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const workspaces = new Set<string>();
  for await (const key of scanAll(primaries, keys.logPattern)) {
    const ref = keys.refOfLog(key);
    if (!ref) continue;
    report.rooms++;
    workspaces.add(ref.workspace);
    const { moved, dropped } = await client.repairRoom(
      {
        seq: keys.seq(ref),
        log: keys.log(ref),
        ids: keys.ids(ref),
        legacyIds: keys.legacyIds(ref),
      },
      retention,
    );
    report.keysMoved += moved;
    report.messagesTrimmed += dropped;
    const entries = (await raw.zRangeWithScores(key, 0, -1)) as unknown as {
      value: Buffer;
      score: number;
    }[];
    for (const { value, score } of entries) {
      const fixed = rewritten(value.toString('utf8'));
      if (fixed === undefined && isUtf8(value)) continue;
      await raw
        .multi()
        .zRem(key, value)
        .zAdd(key, { score, value: fixed ?? value.toString('utf8') })
        .exec();
      report.messagesRewritten++;
    }
  }
  for await (const key of scanAll(primaries, keys.roomsPattern)) {
    const workspace = keys.workspaceOfRooms(key);
    if (workspace) workspaces.add(workspace);
  }
  for (const workspace of workspaces) {
    // Rooms an older node created (during a rolling upgrade, say) are not in the name index yet.
    report.roomsIndexed += await client.indexAllRooms({
      rooms: keys.rooms(workspace),
      names: keys.roomNames(workspace),
      privateNames: keys.privateRoomNames(workspace),
    });
    const rooms = await client.hGetAll(keys.rooms(workspace));
    for (const [room, json] of Object.entries(rooms)) {
      const record = JSON.parse(json) as { topic: string | null };
      if (record.topic === null || isWellFormed(record.topic)) continue;
      await client.hSet(
        keys.rooms(workspace),
        room,
        JSON.stringify({ topic: toWellFormed(record.topic) }),
      );
      report.topicsRewritten++;
    }
  }
  return report;
}

/** The stored message with well-formed text and author name, or undefined if it was fine. */
function rewritten(json: string): string | undefined {
  let stored: Omit<Message, 'seq'>;
  try {
    stored = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (isWellFormed(stored.text) && isWellFormed(stored.author.name)) return undefined;
  return JSON.stringify({
    ...stored,
    text: toWellFormed(stored.text),
    author: { ...stored.author, name: toWellFormed(stored.author.name) },
  });
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Every key matching `pattern` on every master, once each. */
async function* scanAll(primaries: RedisClient[], pattern: string): AsyncGenerator<string> {
  for (const primary of primaries) {
    for await (const batch of primary.scanIterator({ MATCH: pattern, COUNT: 500 })) yield* batch;
  }
}
