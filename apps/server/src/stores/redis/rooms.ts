import { defineScript } from 'redis';
import type { CreateOutcome, RoomRecord, RoomRef, RoomStore } from '../types';
import type { RedisClient } from './client';
import type { RedisKeys } from './keys';

/** What is stored per room; the name is the hash field. */
interface StoredRoom {
  topic: string | null;
}

const NEW_ROOM = JSON.stringify({ topic: null } satisfies StoredRoom);

/**
 * Creates a room unless it exists or the workspace is full, in one step: concurrent creations on
 * any number of nodes never take a workspace past its limit.
 *
 * KEYS: the workspace's rooms hash, its names index (both under `{workspace}`).
 * ARGV: room, record JSON, the most rooms the workspace may hold.
 */
export const createRoomScript = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'exists' end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 'created'`,
  parseCommand(parser, keys: { rooms: string; names: string }, room: string, max: number) {
    parser.pushKeys([keys.rooms, keys.names]);
    parser.push(room, NEW_ROOM, String(max));
  },
  transformReply: (reply: string) => reply as CreateOutcome,
});

/**
 * Indexes every room of the workspace by name, if the index is missing: rooms made before the
 * index existed get one the first time the workspace is paged or counted.
 *
 * KEYS: rooms hash, names index.
 */
export const indexRoomsScript = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local names = redis.call('HKEYS', KEYS[1])
for _, name in ipairs(names) do redis.call('ZADD', KEYS[2], 0, name) end
return #names`,
  parseCommand(parser, keys: { rooms: string; names: string }) {
    parser.pushKeys([keys.rooms, keys.names]);
  },
  transformReply: (reply: number) => reply,
});

function decode(name: string, json: string): RoomRecord {
  return { name, topic: (JSON.parse(json) as StoredRoom).topic };
}

/** The first string after every string that starts with `prefix` (names are ASCII). */
function afterPrefix(prefix: string): string {
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
}

/** Candidates for expiry are kept cluster-wide in one sorted set: `workspace/room`. */
const candidateOf = ({ workspace, room }: RoomRef) => `${workspace}/${room}`;

function refOfCandidate(member: string): RoomRef {
  const slash = member.indexOf('/');
  return { workspace: member.slice(0, slash), room: member.slice(slash + 1) };
}

export function createRedisRoomStore(client: RedisClient, keys: RedisKeys): RoomStore {
  const indexed = new Set<string>();
  const roomKeys = (workspace: string) => ({
    rooms: keys.rooms(workspace),
    names: keys.roomNames(workspace),
  });
  /** Once per workspace per process: later writes keep the index up to date themselves. */
  async function ensureIndexed(workspace: string): Promise<void> {
    if (indexed.has(workspace)) return;
    await client.indexRooms(roomKeys(workspace));
    indexed.add(workspace);
  }

  return {
    async create(ref, { maxRooms }) {
      await ensureIndexed(ref.workspace);
      const outcome = await client.createRoom(roomKeys(ref.workspace), ref.room, maxRooms);
      if (outcome === 'created') {
        await client.zAdd(keys.roomCandidates, { score: Date.now(), value: candidateOf(ref) });
      }
      return outcome;
    },
    async get({ workspace, room }) {
      const json = await client.hGet(keys.rooms(workspace), room);
      return json === null ? undefined : decode(room, json);
    },
    async page(workspace, { after, prefix = '', limit }) {
      await ensureIndexed(workspace);
      const from = after !== undefined && after >= prefix ? `(${after}` : `[${prefix}`;
      const to = prefix === '' ? '+' : `(${afterPrefix(prefix)}`;
      const names = await client.zRangeByLex(keys.roomNames(workspace), from, to, {
        LIMIT: { offset: 0, count: limit + 1 },
      });
      const wanted = names.slice(0, limit);
      const records = wanted.length === 0 ? [] : await client.hmGet(keys.rooms(workspace), wanted);
      const rooms = wanted.flatMap((name, i) => {
        const json = records[i];
        return json ? [decode(name, json)] : [];
      });
      return { rooms, next: names.length > limit ? (wanted.at(-1) ?? null) : null };
    },
    async count(workspace) {
      await ensureIndexed(workspace);
      return client.zCard(keys.roomNames(workspace));
    },
    async setTopic(ref, topic) {
      await ensureIndexed(ref.workspace);
      const json = JSON.stringify({ topic } satisfies StoredRoom);
      await client
        .multi()
        .hSet(keys.rooms(ref.workspace), ref.room, json)
        .zAdd(keys.roomNames(ref.workspace), { score: 0, value: ref.room })
        .exec();
      return { name: ref.room, topic };
    },
    async touch(ref) {
      await client.zAdd(
        keys.roomCandidates,
        { score: Date.now(), value: candidateOf(ref) },
        { condition: 'XX' },
      );
    },
    async idle(before, limit) {
      const members = await client.zRangeByScore(keys.roomCandidates, '-inf', `(${before}`, {
        LIMIT: { offset: 0, count: limit },
      });
      return members.map(refOfCandidate);
    },
    async retire(ref) {
      await client.zRem(keys.roomCandidates, candidateOf(ref));
    },
    async remove(ref) {
      await client
        .multi()
        .hDel(keys.rooms(ref.workspace), ref.room)
        .zRem(keys.roomNames(ref.workspace), ref.room)
        .exec();
      await client.zRem(keys.roomCandidates, candidateOf(ref));
    },
  };
}
