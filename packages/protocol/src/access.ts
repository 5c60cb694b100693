import { z } from 'zod';
import { RoomName } from './names';
import { Role, Visibility } from './roles';
import { DisplayName, Member, RoomInfo, RoomUpdated, Topic, UserId } from './schemas';

/**
 * Who may do what (protocol v2): rooms public or private, roles, members kept by Parley, bans.
 * The events' payloads and answers; the decisions are the server's (docs/access-control.md).
 */

/** The longest ban: a year. Longer is what removing from a private room is for. */
export const MAX_BAN_SECONDS = 365 * 24 * 3600;

/**
 * A `rooms` claim entry: a room name, or a prefix ending in `*` (`support-*`); `*` alone is every
 * room. A token with the claim may join only matching rooms, and matching private rooms admit it
 * as a member.
 */
export const RoomPattern = z
  .string()
  .regex(/^(\*|[a-z0-9][a-z0-9_-]{0,63}\*?)$/, 'must be a room name, or a prefix ending in "*"')
  .meta({ description: 'A room name, or a prefix ending in `*`.' });

/** Whether `room` matches one of the claim's patterns. */
export function roomMatches(patterns: readonly string[], room: string): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? room.startsWith(pattern.slice(0, -1)) : room === pattern,
  );
}

export const RoomMember = Member.extend({
  role: Role.nullable().meta({
    description: 'Their role; null for someone in a public room who is no stored member.',
  }),
  online: z.boolean().meta({ description: 'Whether they are in the room now.' }),
}).meta({ id: 'RoomMember', description: 'A member of a room, or someone present in it.' });
export type RoomMember = z.infer<typeof RoomMember>;

export const RoomCreatePayload = z.object({
  room: RoomName,
  visibility: Visibility.default('public'),
  topic: Topic.optional(),
  readOnly: z.boolean().default(false),
});
export const RoomCreateAck = z.object({ room: RoomInfo });

export const RoomUpdatePayload = z.object({
  room: RoomName,
  topic: Topic.nullable().optional().meta({ description: 'null or "" clears it.' }),
  readOnly: z.boolean().optional(),
});
export const RoomUpdateAck = z.object({ room: RoomInfo });

export const MemberListPayload = z.object({ room: RoomName });
export const MemberListAck = z.object({
  members: z.array(RoomMember).meta({
    description: 'Stored members (owners first), then whoever else is in the room now.',
  }),
});

export const MemberAddPayload = z.object({
  room: RoomName,
  userId: UserId,
  name: DisplayName.optional().meta({ description: 'Shown until they connect with their own.' }),
  role: Role.default('member').meta({
    description: 'Moderators may add members; owners also moderators (and owners).',
  }),
});
export const MemberAddAck = z.object({ member: RoomMember });

export const MemberRemovePayload = z.object({
  room: RoomName,
  userId: UserId,
  banSeconds: z
    .int()
    .min(1)
    .max(MAX_BAN_SECONDS)
    .optional()
    .meta({ description: 'Also refuse their rejoining for this long (public rooms too).' }),
});
export const MemberRemoveAck = z.object({});

/** Told to every socket of a user who was removed from a room; it has left the room. */
export const RoomRemoved = z.object({
  room: RoomName,
  reason: z.enum(['removed', 'banned']),
  until: z.iso.datetime().optional().meta({ description: 'When a ban ends.' }),
});

/** Told to every socket of a user added to a room or whose role there changed. */
export const RoomRole = RoomUpdated.extend({
  role: Role.meta({ description: 'Your role in the room now.' }),
});
export type RoomRole = z.infer<typeof RoomRole>;
