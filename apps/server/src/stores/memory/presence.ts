import type { Member } from '@parley/protocol';
import type { Departure, PresenceStore, RoomRef } from '../types';
import { refKey } from './keys';

interface Presence {
  member: Member;
  /**
   * The user's connections in the room: most users have one, kept as its id alone (a set costs
   * some 150 bytes, per user per room); a set from a second one on; none while leaving.
   */
  connections?: string | Set<string>;
  /** With no connection left: when their grace ends (ms). They still count until settled. */
  leavingUntil?: number;
}

export interface MemoryPresenceStore extends PresenceStore {
  /** The room's online user count, synchronously: nothing can change it before the caller acts. */
  countNow(ref: RoomRef): number;
}

/** The connections with `id` added. */
function withConnection(connections: Presence['connections'], id: string): Presence['connections'] {
  if (connections === undefined || connections === id) return id;
  if (typeof connections === 'string') return new Set([connections, id]);
  connections.add(id);
  return connections;
}

/** The connections without `id`, or false when `id` was not among them. */
function withoutConnection(
  connections: Presence['connections'],
  id: string,
): Presence['connections'] | false {
  if (typeof connections !== 'object') return connections === id ? undefined : false;
  if (!connections.delete(id)) return false;
  // Back to one: kept as its id again.
  if (connections.size === 1) return connections.values().next().value;
  return connections;
}

/**
 * The room's members: all of them when at most `limit`, else the first `limit` — `member`
 * among them when given (in place of the last).
 */
function present(users: Map<string, Presence> | undefined, limit: number, member?: Member) {
  const members: Member[] = [];
  if (!users || limit <= 0) return members;
  let found = member === undefined;
  for (const presence of users.values()) {
    if (members.length >= limit) break;
    if (presence.member.id === member?.id) found = true;
    members.push(presence.member);
  }
  if (!found && member) members[members.length - 1] = member;
  return members;
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

  const add = (ref: RoomRef, member: Member, connectionId: string): boolean => {
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
      presence.connections = withConnection(presence.connections, connectionId);
      // Back within the grace: nobody was told they left, so nobody is told they came.
      presence.leavingUntil = undefined;
      leaving.delete(leavingKey(ref, member.id));
      return false;
    }
    users.set(member.id, { member, connections: connectionId });
    return true;
  };

  return {
    countNow(ref) {
      return rooms.get(refKey(ref))?.size ?? 0;
    },
    async add(ref, member, connectionId) {
      return add(ref, member, connectionId);
    },
    async enter(ref, member, connectionId, membersMax) {
      const arrived = add(ref, member, connectionId);
      const users = rooms.get(refKey(ref));
      return { arrived, count: users?.size ?? 0, members: present(users, membersMax, member) };
    },
    // An add here is done by the time its call answers: nothing can land later.
    abandon() {},
    async remove(ref, userId, connectionId, graceMs = 0) {
      const key = refKey(ref);
      const users = rooms.get(key);
      const presence = users?.get(userId);
      if (!users || !presence) return 'stayed';
      const rest = withoutConnection(presence.connections, connectionId);
      if (rest === false) return 'stayed';
      presence.connections = rest;
      if (rest !== undefined) return 'stayed';
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
      return present(rooms.get(refKey(ref)), limit);
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
