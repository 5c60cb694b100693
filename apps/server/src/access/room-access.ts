import { ErrorCode, type Member, type Role } from '@parley/protocol';
import { ParleyError } from '../socket/errors';
import type { RoomRecord, RoomRef, Stores } from '../stores/types';
import { entryTo, PRIVATE_ROOM_REFUSAL, type Requester } from './decide';
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
  /** Whether `admit` would let them in, without asking the join hook (for answering refusals). */
  mayEnter(ref: RoomRef, visitor: Visitor): Promise<boolean>;
  /** Their role in the room for moderation: stored, or owner for an admin; null for none. */
  roleOf(ref: RoomRef, visitor: Requester): Promise<Role | null>;
}

/** Who may enter which room: the stores' facts, the policy in decide.ts, and the join hook. */
export function createRoomAccess(stores: Stores, hook: JoinHook | undefined): RoomAccess {
  const facts = async (ref: RoomRef, userId: string) => {
    const [record, member, bannedUntil] = await Promise.all([
      stores.rooms.get(ref),
      stores.members.get(ref, userId),
      stores.members.bannedUntil(ref, userId),
    ]);
    return { record, member, bannedUntil };
  };
  return {
    async admit(ref, visitor) {
      const known = await facts(ref, visitor.userId);
      const entry = entryTo(ref.room, visitor, known);
      if (entry.allowed === true) return { role: entry.role, record: known.record };
      if (entry.allowed === 'ask' && hook) {
        const decision = await hook.ask(ref, visitor.user);
        if (decision.allow) return { role: decision.role, record: known.record };
      }
      const reason = entry.allowed === false ? entry.reason : PRIVATE_ROOM_REFUSAL;
      throw new ParleyError(ErrorCode.Forbidden, reason);
    },
    async mayEnter(ref, visitor) {
      const entry = entryTo(ref.room, visitor, await facts(ref, visitor.userId));
      return entry.allowed === true;
    },
    async roleOf(ref, visitor) {
      if (visitor.admin) return 'owner';
      return (await stores.members.get(ref, visitor.userId))?.role ?? null;
    },
  };
}
