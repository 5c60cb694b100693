import { type Refusal, type Role, roomMatches } from '@parley/protocol';
import type { RoomFacts } from '../stores/types';

/** Who is asking, as their token says. */
export interface Requester {
  userId: string;
  /** Owner in every room of the workspace. */
  admin: boolean;
  /** The token's `rooms` claim: only matching rooms. */
  rooms?: readonly string[];
}

export type Entry =
  | { allowed: true; role: Role | null }
  | { allowed: false; reason: string; refusal: Refusal; bannedUntil?: number }
  /** A private room nothing Parley keeps admits them to: the join hook decides, if there is one. */
  | { allowed: 'ask' };

/**
 * Whether, and as what, someone may be in a room (join it, read it, post in it): the whole
 * access policy, pure, so one table-driven test covers it (decide.test.ts).
 *
 * 1. A `rooms` claim confines the token to matching rooms, whatever else holds.
 * 2. An admin is owner (never banned: they act as owner everywhere).
 * 3. A ban refuses, until it ends; a stored member has their role.
 * 4. A public room (or one that does not exist yet) admits anyone, with no role.
 * 5. A private room admits a matching `rooms` claim as member; anyone else: ask the hook.
 */
export function entryTo(room: string, who: Requester, facts: RoomFacts): Entry {
  if (who.rooms && !roomMatches(who.rooms, room)) {
    return { allowed: false, reason: 'your token does not open this room', refusal: 'token_rooms' };
  }
  if (who.admin) return { allowed: true, role: 'owner' };
  if (facts.bannedUntil !== undefined) {
    return {
      allowed: false,
      reason: `you are banned from this room until ${new Date(facts.bannedUntil).toISOString()}`,
      refusal: 'banned',
      bannedUntil: facts.bannedUntil,
    };
  }
  if (facts.member) return { allowed: true, role: facts.member.role };
  if (!facts.record || facts.record.visibility === 'public') return { allowed: true, role: null };
  if (who.rooms) return { allowed: true, role: 'member' };
  return { allowed: 'ask' };
}

/** The refusal every path gives for a private room: the same whether it exists or not. */
export const PRIVATE_ROOM_REFUSAL = 'this room is private: ask one of its moderators to add you';
