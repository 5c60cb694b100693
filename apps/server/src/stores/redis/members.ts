import { roleRank } from '@parley/protocol';
import type { MemberStore, StoredMember } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';
import { lexRange } from './lex';

/** The name is the stored member's field; the rest is JSON. */
type StoredFields = Omit<StoredMember, 'id'>;

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
