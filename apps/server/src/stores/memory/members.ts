import { roleRank } from '@parley/protocol';
import type { MemberStore, RoomStore, StoredMember } from '../types';
import { refKey } from './keys';
import { SortedNames } from './rooms';

/** Members, bans and each user's rooms of this process (`rooms` for the admission's record). */
export function createMemoryMemberStore(rooms: Pick<RoomStore, 'get'>): MemberStore {
  const members = new Map<string, Map<string, StoredMember>>();
  const bans = new Map<string, Map<string, number>>();
  /** workspace \0 user -> the rooms they are a member of. */
  const userRooms = new Map<string, SortedNames>();
  const userKey = (workspace: string, userId: string) => `${workspace}\u0000${userId}`;

  const store: MemberStore = {
    async get(ref, userId) {
      const member = members.get(refKey(ref))?.get(userId);
      return member && { ...member };
    },
    async put(ref, member) {
      const key = refKey(ref);
      let room = members.get(key);
      if (!room) {
        room = new Map();
        members.set(key, room);
      }
      room.set(member.id, { ...member });
      const own = userKey(ref.workspace, member.id);
      let rooms = userRooms.get(own);
      if (!rooms) {
        rooms = new SortedNames();
        userRooms.set(own, rooms);
      }
      rooms.add(ref.room);
    },
    async remove(ref, userId) {
      const key = refKey(ref);
      const removed = members.get(key)?.delete(userId) ?? false;
      if (members.get(key)?.size === 0) members.delete(key);
      userRooms.get(userKey(ref.workspace, userId))?.delete(ref.room);
      return removed;
    },
    async list(ref, limit) {
      const all = [...(members.get(refKey(ref))?.values() ?? [])];
      return all
        .sort((a, b) => roleRank(b.role) - roleRank(a.role) || a.name.localeCompare(b.name))
        .slice(0, limit)
        .map((member) => ({ ...member }));
    },
    async ban(ref, userId, untilMs) {
      const key = refKey(ref);
      let room = bans.get(key);
      if (!room) {
        room = new Map();
        bans.set(key, room);
      }
      room.set(userId, untilMs);
    },
    async unban(ref, userId) {
      bans.get(refKey(ref))?.delete(userId);
    },
    async bannedUntil(ref, userId) {
      const room = bans.get(refKey(ref));
      const until = room?.get(userId);
      if (until === undefined) return undefined;
      if (until > Date.now()) return until;
      room?.delete(userId);
      return undefined;
    },
    async admission(ref, userId) {
      const [record, member, bannedUntil] = await Promise.all([
        rooms.get(ref),
        store.get(ref, userId),
        store.bannedUntil(ref, userId),
      ]);
      return { record, member, bannedUntil };
    },
    async roomsOf(workspace, userId, query) {
      return userRooms.get(userKey(workspace, userId))?.page(query) ?? { names: [], next: null };
    },
  };
  return store;
}
