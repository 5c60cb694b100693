import {
  ErrorCode,
  LIMITS,
  type Member,
  type Role,
  type RoomMember,
  roleRank,
} from '@parley/protocol';
import { ParleyError } from '../errors';
import { presenceModeOf } from '../presence/mode';
import type { Services } from '../services';
import type { RoomRecord, RoomRef } from '../stores/types';

/**
 * Changing who belongs to a room, for sockets and the server API alike: the rules of rank, the
 * stores, the change on every node, and the webhook.
 */

/** Who acts: their role in the room (the server API acts as owner). */
export interface Actor {
  member: Member;
  role: Role | null;
}

/** The room's stored members, owners first, then whoever else is in it now. */
export async function listMembers(services: Services, ref: RoomRef): Promise<RoomMember[]> {
  const { stores } = services;
  const [stored, present] = await Promise.all([
    stores.members.list(ref, LIMITS.joinMembersMax),
    stores.presence.members(ref, LIMITS.joinMembersMax),
  ]);
  // Someone online shows under the name they connected with; the stored one is for when not.
  const online = new Map(present.map((member) => [member.id, member.name]));
  const listed = new Set(stored.map((member) => member.id));
  return [
    ...stored.map((member) => ({
      ...member,
      name: online.get(member.id) ?? member.name,
      online: online.has(member.id),
    })),
    ...present
      .filter((member) => !listed.has(member.id))
      .map((member) => ({ ...member, role: null, online: true })),
  ];
}

/**
 * Adds someone, or changes their role, and lifts a ban: a moderator adds members, an owner any
 * role; nobody changes the role of someone of their own rank or above but an owner.
 */
export async function addMember(
  services: Services,
  ref: RoomRef,
  actor: Actor,
  target: { userId: string; name?: string; role: Role },
): Promise<RoomMember> {
  const { stores } = services;
  requireRank(actor, 'moderator', 'only moderators and owners add members');
  const record = await requireRoom(services, ref);
  if (roleRank(target.role) >= roleRank(actor.role) && actor.role !== 'owner') {
    throw new ParleyError(ErrorCode.Forbidden, `only owners make someone a ${target.role}`, {
      reason: 'role',
    });
  }
  const existing = await stores.members.get(ref, target.userId);
  if (existing && roleRank(existing.role) >= roleRank(actor.role) && actor.role !== 'owner') {
    throw new ParleyError(
      ErrorCode.Forbidden,
      'they rank as high as you: only an owner changes that',
      { reason: 'role' },
    );
  }
  const name = target.name ?? existing?.name ?? target.userId;
  await stores.members.put(ref, { id: target.userId, name, role: target.role });
  // The role is stored: from here it reaches the user's sockets whatever else fails (a failure
  // here once left a demoted moderator moderating until they joined again). What failed is
  // answered after, and asking again repeats nothing harmful.
  const [unbanned, retired, present, counted] = await Promise.allSettled([
    stores.members.unban(ref, target.userId),
    // A room someone manages is in use: it never expires as unused.
    stores.rooms.retire(ref),
    stores.presence.members(ref, LIMITS.joinMembersMax),
    stores.presence.count(ref),
  ]);
  const online = present.status === 'fulfilled' ? present.value : [];
  const memberCount = counted.status === 'fulfilled' ? counted.value : online.length;
  const { topic, visibility, readOnly } = record;
  services.membershipChanges.apply({
    kind: 'role',
    ...ref,
    userId: target.userId,
    told: {
      room: ref.room,
      topic,
      memberCount,
      visibility,
      readOnly,
      presence: presenceModeOf(memberCount, services.config.presence.membersMax),
      role: target.role,
    },
  });
  for (const step of [unbanned, retired]) if (step.status === 'rejected') throw step.reason;
  return {
    id: target.userId,
    name,
    role: target.role,
    online: online.some((member) => member.id === target.userId),
  };
}

/**
 * Removes someone from the room — every socket of theirs, on every node, leaves it and is told —
 * and with `banSeconds` refuses their rejoining until then. A moderator removes members (and
 * visitors of a public room); an owner anyone.
 */
export async function removeMember(
  services: Services,
  ref: RoomRef,
  actor: Actor,
  { userId, banSeconds }: { userId: string; banSeconds?: number },
): Promise<void> {
  const { stores } = services;
  // Rank first: someone with no role anywhere learns nothing of which rooms exist.
  requireRank(actor, 'moderator', 'only moderators and owners remove people');
  await requireRoom(services, ref);
  const existing = await stores.members.get(ref, userId);
  if (existing && roleRank(existing.role) >= roleRank(actor.role) && actor.role !== 'owner') {
    throw new ParleyError(
      ErrorCode.Forbidden,
      'they rank as high as you: only an owner removes them',
      { reason: 'role' },
    );
  }
  if (existing) await stores.members.remove(ref, userId);
  const asked = banSeconds === undefined ? undefined : Date.now() + banSeconds * 1000;
  // Whatever was stored is applied on every node, even if the ban then fails: they leave the
  // room now, told they were removed (a ban that failed is answered, and asked again). Once, a
  // failed ban or room write left the user in the room, reading and posting.
  const banned =
    asked === undefined
      ? undefined
      : await stores.members.ban(ref, userId, asked).then(
          () => ({ until: asked }),
          (error: unknown) => ({ error }),
        );
  const until = banned && 'until' in banned ? banned.until : undefined;
  applyRemoval(services, ref, actor, userId, until);
  if (banned && 'error' in banned) throw banned.error;
  if (until !== undefined) await stores.rooms.retire(ref); // a ban is kept, and so is its room
}

/** A removal (and ban, `until`) as stored: every node's sockets of the user, and the webhook. */
function applyRemoval(
  services: Services,
  ref: RoomRef,
  actor: Actor,
  userId: string,
  until: number | undefined,
): void {
  const untilIso = until === undefined ? undefined : new Date(until).toISOString();
  services.membershipChanges.apply({
    kind: 'removed',
    ...ref,
    userId,
    reason: until === undefined ? 'removed' : 'banned',
    ...(untilIso && { until: untilIso }),
  });
  services.webhooks.emit('member.removed', ref.workspace, {
    room: ref.room,
    member: { id: userId },
    by: actor.member,
    ...(untilIso && { bannedUntil: untilIso }),
  });
}

async function requireRoom(services: Services, ref: RoomRef): Promise<RoomRecord> {
  const record = await services.stores.rooms.get(ref);
  if (!record) throw new ParleyError(ErrorCode.NotFound, `no room "${ref.room}"`);
  return record;
}

function requireRank(actor: Actor, least: Role, message: string): void {
  if (roleRank(actor.role) < roleRank(least)) {
    throw new ParleyError(ErrorCode.Forbidden, message, { reason: 'role' });
  }
}
