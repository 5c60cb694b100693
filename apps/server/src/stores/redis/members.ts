import { roleRank } from '@parley/protocol';
import { defineScript } from '@redis/client';
import type { MemberStore, StoredMember } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';
import { lexRange } from './lex';
import { decodeRoom } from './rooms';

/** The name is the stored member's field; the rest is JSON. */
type StoredFields = Omit<StoredMember, 'id'>;

/**
 * What decides whether a user may enter a room, read in one step: { the room's record JSON, the
 * user's member JSON, their ban's end } (each nil when there is none). A ban that has ended is
 * removed and answered nil, as `bannedUntil` does; a stored end that is no finite number is no
 * ban (and stays).
 *
 * KEYS: the workspace's rooms hash, the room's members hash, the room's bans hash (all under
 * `{workspace}`). ARGV: room, user, now (ms).
 */
export const admissionScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
local ban = redis.call('HGET', KEYS[3], ARGV[2])
local untilMs = tonumber(ban or '0') or 0
-- Lua reads 'nan' and 'inf' as numbers: only a finite end is a ban (as Number() and > now read it).
if untilMs ~= untilMs or untilMs == math.huge or untilMs == -math.huge then untilMs = 0 end
if untilMs <= tonumber(ARGV[3]) then
  if untilMs > 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
  ban = false
end
return {redis.call('HGET', KEYS[1], ARGV[1]), redis.call('HGET', KEYS[2], ARGV[2]), ban}`,
  parseCommand(
    parser,
    keys: [rooms: string, members: string, bans: string],
    room: string,
    userId: string,
    now: number,
  ) {
    parser.pushKeys(keys);
    parser.push(room, userId, String(now));
  },
  transformReply: (reply: [string | null, string | null, string | null]) => reply,
});

/**
 * Members, bans and each user's rooms, shared by every node. A room's members and bans, and the
 * index of a user's rooms, all live under the workspace's hash tag: a change of membership writes
 * the room's hash and the user's index in one transaction.
 */
export function createRedisMemberStore(client: RedisClient, keys: RedisKeys): MemberStore {
  const decode = (id: string, json: string): StoredMember => {
    const { name, role } = JSON.parse(json) as StoredFields;
    return { id, name, role };
  };
  return {
    async get(ref, userId) {
      const json = await client.hGet(keys.roomMembers(ref), userId);
      return json === null ? undefined : decode(userId, json);
    },
    async put(ref, { id, name, role }) {
      await client
        .multi()
        .hSet(keys.roomMembers(ref), id, JSON.stringify({ name, role } satisfies StoredFields))
        .zAdd(keys.userRooms(ref.workspace, id), { score: 0, value: ref.room })
        .exec();
    },
    async remove(ref, userId) {
      const [removed] = (await client
        .multi()
        .hDel(keys.roomMembers(ref), userId)
        .zRem(keys.userRooms(ref.workspace, userId), ref.room)
        .exec()) as unknown as [number, number];
      return removed === 1;
    },
    async list(ref, limit) {
      const key = keys.roomMembers(ref);
      // Beyond the limit a sample: HRANDFIELD reads `limit` fields, not the whole room.
      const entries =
        (await client.hLen(key)) > limit
          ? (await client.hRandFieldCountWithValues(key, limit)).map(
              ({ field, value }) => [field, value] as const,
            )
          : Object.entries(await client.hGetAll(key));
      return entries
        .map(([id, json]) => decode(id, json))
        .sort((a, b) => roleRank(b.role) - roleRank(a.role) || a.name.localeCompare(b.name));
    },
    async ban(ref, userId, untilMs) {
      await client.hSet(keys.roomBans(ref), userId, String(untilMs));
    },
    async unban(ref, userId) {
      await client.hDel(keys.roomBans(ref), userId);
    },
    async bannedUntil(ref, userId) {
      const until = Number((await client.hGet(keys.roomBans(ref), userId)) ?? 0);
      if (until > Date.now()) return until;
      if (until > 0) await client.hDel(keys.roomBans(ref), userId);
      return undefined;
    },
    async admission(ref, userId) {
      const [record, member, ban] = await client.admission(
        [keys.rooms(ref.workspace), keys.roomMembers(ref), keys.roomBans(ref)],
        ref.room,
        userId,
        Date.now(),
      );
      return {
        record: typeof record === 'string' ? decodeRoom(ref.room, record) : undefined,
        member: typeof member === 'string' ? decode(userId, member) : undefined,
        bannedUntil:
          typeof ban === 'string' && Number.isFinite(Number(ban)) ? Number(ban) : undefined,
      };
    },
    async roomsOf(workspace, userId, { after, prefix = '', limit }) {
      const { from, to } = lexRange(after, prefix);
      const names = await client.zRangeByLex(keys.userRooms(workspace, userId), from, to, {
        LIMIT: { offset: 0, count: limit + 1 },
      });
      const page = names.slice(0, limit);
      return { names: page, next: names.length > limit ? (page.at(-1) ?? null) : null };
    },
  };
}
