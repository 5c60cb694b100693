import type { Member } from '@parley/protocol';
import type { PresenceStore, RoomRef } from '../types';
import { refKey } from './keys';

interface Presence {
  member: Member;
  connections: Set<string>;
}

export interface MemoryPresenceStore extends PresenceStore {
  /** The room's online user count, synchronously: nothing can change it before the caller acts. */
  countNow(ref: RoomRef): number;
}

export function createMemoryPresenceStore(): MemoryPresenceStore {
  // workspace/room -> user id -> that user's connections in the room
  const rooms = new Map<string, Map<string, Presence>>();

  return {
    countNow(ref) {
      return rooms.get(refKey(ref))?.size ?? 0;
    },
    async add(ref, member, connectionId) {
      const key = refKey(ref);
      let users = rooms.get(key);
      if (!users) {
        users = new Map();
        rooms.set(key, users);
      }
      const presence = users.get(member.id);
      if (presence) {
        // A renamed guest keeps its id: the newest connection's name is the one shown.
        presence.member = member;
        presence.connections.add(connectionId);
        return false;
      }
      users.set(member.id, { member, connections: new Set([connectionId]) });
      return true;
    },
    async remove(ref, userId, connectionId) {
      const key = refKey(ref);
      const users = rooms.get(key);
      const presence = users?.get(userId);
      if (!users || !presence?.connections.delete(connectionId)) return false;
      if (presence.connections.size > 0) return false;
      users.delete(userId);
      if (users.size === 0) rooms.delete(key);
      return true;
    },
    async members(ref, limit = Number.POSITIVE_INFINITY) {
      const members: Member[] = [];
      for (const { member } of rooms.get(refKey(ref))?.values() ?? []) {
        if (members.length >= limit) break;
        members.push(member);
      }
      return members;
    },
    async count(ref) {
      return rooms.get(refKey(ref))?.size ?? 0;
    },
    async counts(workspace, names) {
      return new Map(
        names.map((room) => [room, rooms.get(refKey({ workspace, room }))?.size ?? 0]),
      );
    },
    async sweep() {
      // One process, so no other node can die and nothing here fails half-way.
      return [];
    },
  };
}
