import type { Member } from '@parley/protocol';
import type { Departure, PresenceStore, RoomRef } from '../types';
import { refKey } from './keys';

interface Presence {
  member: Member;
  connections: Set<string>;
  /** With no connection left: when their grace ends (ms). They still count until settled. */
  leavingUntil?: number;
}

export interface MemoryPresenceStore extends PresenceStore {
  /** The room's online user count, synchronously: nothing can change it before the caller acts. */
  countNow(ref: RoomRef): number;
}

export function createMemoryPresenceStore(): MemoryPresenceStore {
  // workspace/room -> user id -> that user's connections in the room
  const rooms = new Map<string, Map<string, Presence>>();

  // Users in their grace, by room and user: what a sweep looks at.
  const leaving = new Map<string, { ref: RoomRef; userId: string }>();
  const leavingKey = (ref: RoomRef, userId: string) => `${refKey(ref)}\u0000${userId}`;

  const settleNow = (ref: RoomRef, userId: string, now: number): Member | undefined => {
    const key = refKey(ref);
    const users = rooms.get(key);
    const presence = users?.get(userId);
    if (presence?.leavingUntil === undefined) leaving.delete(leavingKey(ref, userId));
    if (!users || presence?.leavingUntil === undefined || presence.leavingUntil > now) return;
    leaving.delete(leavingKey(ref, userId));
    users.delete(userId);
    if (users.size === 0) rooms.delete(key);
    return presence.member;
  };

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
        // Back within the grace: nobody was told they left, so nobody is told they came.
        presence.leavingUntil = undefined;
        leaving.delete(leavingKey(ref, member.id));
        return false;
      }
      users.set(member.id, { member, connections: new Set([connectionId]) });
      return true;
    },
    async remove(ref, userId, connectionId, graceMs = 0) {
      const key = refKey(ref);
      const users = rooms.get(key);
      const presence = users?.get(userId);
      if (!users || !presence?.connections.delete(connectionId)) return 'stayed';
      if (presence.connections.size > 0) return 'stayed';
      if (graceMs > 0) {
        presence.leavingUntil = Date.now() + graceMs;
        leaving.set(leavingKey(ref, userId), { ref, userId });
        return 'leaving';
      }
      users.delete(userId);
      if (users.size === 0) rooms.delete(key);
      return 'left';
    },
    async settle(ref, userId) {
      return settleNow(ref, userId, Date.now());
    },
    async members(ref, limit = Number.POSITIVE_INFINITY) {
      const members: Member[] = [];
      for (const { member } of rooms.get(refKey(ref))?.values() ?? []) {
        if (members.length >= limit) break;
        members.push(member);
      }
      return members;
    },
    async page(ref, cursor, limit) {
      // By user id, after the cursor (the last id of the previous page, base64url): no one twice.
      const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
      const present = rooms.get(refKey(ref));
      const ids = [...(present?.keys() ?? [])].filter((id) => after === undefined || id > after);
      ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const members = ids.slice(0, limit).flatMap((id) => present?.get(id)?.member ?? []);
      const last = members[members.length - 1];
      const nextCursor =
        ids.length > limit && last ? Buffer.from(last.id).toString('base64url') : null;
      return { members, nextCursor };
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
      // One process, so no other node can die and nothing here fails half-way; but a grace
      // whose settle never came (its timer lost) ends here.
      const now = Date.now();
      const departures: Departure[] = [];
      for (const { ref, userId } of leaving.values()) {
        const member = settleNow(ref, userId, now);
        if (member) departures.push({ ref, member });
      }
      return departures;
    },
  };
}
