import type { Visibility } from '@parley/protocol';
import { defineScript } from '@redis/client';
import type { CreateOutcome, RoomRecord, RoomRef, RoomStore } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';
import { lexRange } from './lex';

/** What is stored per room; the name is the hash field. Rooms of version 1 have only a topic. */
interface StoredRoom {
  topic: string | null;
  visibility?: Visibility;
  readOnly?: boolean;
}

/**
 * Creates a room unless it exists or the workspace is full, in one step: concurrent creations on
 * any number of nodes never take a workspace past its limit. Public and private rooms are kept
 * in an index each, so a page of either costs its size.
 *
 * KEYS: the workspace's rooms hash, its public and private name indexes (all under
 * `{workspace}`). ARGV: room, record JSON, the most rooms the workspace may hold, visibility.
 */
export const createRoomScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'exists' end
if redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[3]) then
  return 'full'
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', ARGV[4] == 'private' and KEYS[3] or KEYS[2], 0, ARGV[1])
return 'created'`,
  parseCommand(parser, keys: RoomKeys, room: string, record: StoredRoom, max: number) {
    parser.pushKeys([keys.rooms, keys.names, keys.privateNames]);
    parser.push(room, JSON.stringify(record), String(max), record.visibility ?? 'public');
  },
  transformReply: (reply: string) => reply as CreateOutcome,
});

/**
 * Indexes every room of the workspace by name, once: rooms made before the index existed (all of
 * them public) get one the first time the workspace is paged or counted. The flag marks it done,
 * so later rooms — private ones too — are only ever indexed by their own creation.
 *
 * KEYS: rooms hash, public names index, flag.
 */
export const indexRoomsScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local names = redis.call('HKEYS', KEYS[1])
for _, name in ipairs(names) do redis.call('ZADD', KEYS[2], 0, name) end
redis.call('SET', KEYS[3], '1')
return #names`,
  parseCommand(parser, keys: RoomKeys) {
    parser.pushKeys([keys.rooms, keys.names, keys.indexed]);
  },
  transformReply: (reply: number) => reply,
});

interface RoomKeys {
  rooms: string;
  names: string;
  privateNames: string;
  indexed: string;
}

/** A room's record as stored under its name in the workspace's rooms hash. */
export function decodeRoom(name: string, json: string): RoomRecord {
  const stored = JSON.parse(json) as StoredRoom;
  return {
    name,
    topic: stored.topic,
    visibility: stored.visibility ?? 'public',
    readOnly: stored.readOnly ?? false,
  };
}

function encode({ topic, visibility, readOnly }: RoomRecord): string {
  return JSON.stringify({ topic, visibility, readOnly } satisfies StoredRoom);
}

/** Candidates for expiry are kept cluster-wide in one sorted set: `workspace/room`. */
const candidateOf = ({ workspace, room }: RoomRef) => `${workspace}/${room}`;

function refOfCandidate(member: string): RoomRef {
  const slash = member.indexOf('/');
  return { workspace: member.slice(0, slash), room: member.slice(slash + 1) };
}

export function createRedisRoomStore(client: RedisClient, keys: RedisKeys): RoomStore {
  const indexed = new Set<string>();
  const roomKeys = (workspace: string): RoomKeys => ({
    rooms: keys.rooms(workspace),
    names: keys.roomNames(workspace),
    privateNames: keys.privateRoomNames(workspace),
    indexed: keys.roomsIndexed(workspace),
  });
  /** Once per workspace per process: later writes keep the indexes up to date themselves. */
  async function ensureIndexed(workspace: string): Promise<void> {
    if (indexed.has(workspace)) return;
    await client.indexRooms(roomKeys(workspace));
    indexed.add(workspace);
  }
  /** The read-only flag where the append script reads it (in the room's own hash tag). */
  const writeSettings = (ref: RoomRef, readOnly: boolean) =>
    client.hSet(keys.roomSettings(ref), 'readOnly', readOnly ? '1' : '0');

  return {
    async create(ref, { maxRooms, visibility = 'public', readOnly = false, topic = null }) {
      await ensureIndexed(ref.workspace);
      const outcome = await client.createRoom(
        roomKeys(ref.workspace),
        ref.room,
        { topic, visibility, readOnly },
        maxRooms,
      );
      if (outcome !== 'created') return outcome;
      if (readOnly) await writeSettings(ref, true);
      if (topic === null) {
        await client.zAdd(keys.roomCandidates, { score: Date.now(), value: candidateOf(ref) });
      }
      return outcome;
    },
    async get({ workspace, room }) {
      const json = await client.hGet(keys.rooms(workspace), room);
      return json === null ? undefined : decodeRoom(room, json);
    },
    async getMany(workspace, names) {
      if (names.length === 0) return [];
      const records = await client.hmGet(keys.rooms(workspace), names);
      return names.flatMap((name, i) => {
        const json = records[i];
        return json ? [decodeRoom(name, json)] : [];
      });
    },
    async update(ref, { topic, readOnly }) {
      const json = await client.hGet(keys.rooms(ref.workspace), ref.room);
      if (json === null) return undefined;
      const record = decodeRoom(ref.room, json);
      if (topic !== undefined) record.topic = topic;
      if (readOnly !== undefined) record.readOnly = readOnly;
      await client.hSet(keys.rooms(ref.workspace), ref.room, encode(record));
      if (readOnly !== undefined) await writeSettings(ref, readOnly);
      return record;
    },
    async page(workspace, { after, prefix = '', limit, visibility }) {
      await ensureIndexed(workspace);
      const { from, to } = lexRange(after, prefix);
      const index = visibility === 'private' ? keys.privateRoomNames : keys.roomNames;
      const names = await client.zRangeByLex(index(workspace), from, to, {
        LIMIT: { offset: 0, count: limit + 1 },
      });
      const wanted = names.slice(0, limit);
      const rooms = await this.getMany(workspace, wanted);
      return { rooms, next: names.length > limit ? (wanted.at(-1) ?? null) : null };
    },
    async count(workspace) {
      await ensureIndexed(workspace);
      const [open, closed] = await Promise.all([
        client.zCard(keys.roomNames(workspace)),
        client.zCard(keys.privateRoomNames(workspace)),
      ]);
      return open + closed;
    },
    async setTopic(ref, topic) {
      await ensureIndexed(ref.workspace);
      const existing = await this.get(ref);
      const record: RoomRecord = existing
        ? { ...existing, topic }
        : { name: ref.room, topic, visibility: 'public', readOnly: false };
      await client
        .multi()
        .hSet(keys.rooms(ref.workspace), ref.room, encode(record))
        .zAdd(
          record.visibility === 'private'
            ? keys.privateRoomNames(ref.workspace)
            : keys.roomNames(ref.workspace),
          { score: 0, value: ref.room },
        )
        .exec();
      return record;
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
        .zRem(keys.privateRoomNames(ref.workspace), ref.room)
        .exec();
      await client.zRem(keys.roomCandidates, candidateOf(ref));
    },
  };
}
