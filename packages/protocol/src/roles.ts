import { z } from 'zod';

/**
 * Roles in a room, highest first: an owner can do everything, a moderator can manage members
 * below them and delete anyone's messages, a member may be in a private room. A workspace admin
 * (a token claim) acts as owner in every room of its workspaces.
 */
export const Role = z
  .enum(['owner', 'moderator', 'member'])
  .meta({ description: 'owner > moderator > member.' });
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { member: 1, moderator: 2, owner: 3 };

/** The rank of a role, 0 for none (a visitor of a public room). */
export function roleRank(role: Role | null | undefined): number {
  return role ? RANK[role] : 0;
}

/** Whether `role` is at least `least`. */
export function atLeast(role: Role | null | undefined, least: Role): boolean {
  return roleRank(role) >= RANK[least];
}

/**
 * `public`: anyone who may use the workspace may join (unless banned). `private`: members only;
 * it does not appear in anyone else's room list, and a non-member's join answers `forbidden`.
 */
export const Visibility = z
  .enum(['public', 'private'])
  .meta({ description: 'Who may join: anyone in the workspace, or members.' });
export type Visibility = z.infer<typeof Visibility>;
