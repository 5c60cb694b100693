import { ErrorCode, type Member, type Role, roomMatches } from '@parley/protocol';
import { ParleyError } from '../errors';
import type { RoomRecord, RoomRef, Stores } from '../stores/types';
import { type Entry, entryTo, PRIVATE_ROOM_REFUSAL, type Requester } from './decide';
import type { JoinHook } from './join-hook';

/** Someone asking for a room: their token's say, and who they are. */
export interface Visitor extends Requester {
  user: Member;
}

export interface Admission {
  /** Their role in the room; null for a visitor of a public room. */
  role: Role | null;
  /** The room, or undefined when it does not exist yet (a join that may create it). */
  record: RoomRecord | undefined;
}

export interface RoomAccess {
  /** Admits the visitor to the room, or throws `forbidden` (or `unavailable` from the hook). */
  admit(ref: RoomRef, visitor: Visitor): Promise<Admission>;
  /**
   * The refusal `admit` would throw, without asking the join hook; undefined when they may
   * enter. For answering events about a room the connection is not in.
   */
  refusalOf(ref: RoomRef, visitor: Visitor): Promise<ParleyError | undefined>;
  /** Their role in the room for moderation: stored, or owner for an admin; null for none. */
  roleOf(ref: RoomRef, visitor: Requester): Promise<Role | null>;
  /** Forgets what the join hook said of the user in the room (they were removed). */
  forget(ref: RoomRef, userId: string): void;
}

/** Who may enter which room: the stores' facts, the policy in decide.ts, and the join hook. */
export function createRoomAccess(stores: Stores, hook: JoinHook | undefined): RoomAccess {
  const facts = (ref: RoomRef, userId: string) => stores.members.admission(ref, userId);
  return {
    async admit(ref, visitor) {
      const known = await facts(ref, visitor.userId);
      const entry = entryTo(ref.room, visitor, known);
      if (entry.allowed === true) return { role: entry.role, record: known.record };
      if (entry.allowed === 'ask' && hook) {
        const decision = await hook.ask(ref, visitor.user);
        if (decision.allow) return { role: decision.role, record: known.record };
      }
      throw refusal(entry);
    },
    async refusalOf(ref, visitor) {
      const entry = entryTo(ref.room, visitor, await facts(ref, visitor.userId));
      return entry.allowed === true ? undefined : refusal(entry);
    },
    forget(ref, userId) {
      hook?.forget(ref, userId);
    },
    async roleOf(ref, visitor) {
      // A rooms claim confines the token, an admin's too: no role where it does not reach.
      if (visitor.rooms && !roomMatches(visitor.rooms, ref.room)) return null;
      if (visitor.admin) return 'owner';
      return (await stores.members.get(ref, visitor.userId))?.role ?? null;
    },
  };
}

/** The error for an entry that was not allowed (or that the join hook did not allow). */
function refusal(entry: Exclude<Entry, { allowed: true }>): ParleyError {
  if (entry.allowed === 'ask') {
    return new ParleyError(ErrorCode.Forbidden, PRIVATE_ROOM_REFUSAL, { reason: 'private_room' });
  }
  const until = entry.bannedUntil && new Date(entry.bannedUntil).toISOString();
  return new ParleyError(ErrorCode.Forbidden, entry.reason, {
    reason: entry.refusal,
    ...(until && { until }),
  });
}
