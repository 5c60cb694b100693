import { z } from 'zod';
import { RoomPattern } from './access';
import { WorkspaceSlug } from './names';
import { DisplayName, UserId } from './schemas';

/**
 * The claims of a Parley token: what Parley's guest tokens carry, and what a team's backend (with
 * the shared secret, HS256) or its identity provider (with its own keys) mints for its users.
 * `exp` is seconds since the epoch, as in every JWT.
 */
export const TokenClaims = z.object({
  /** The user's id: stable, it is who they are in every room. */
  sub: UserId,
  /** The name others see. */
  name: DisplayName,
  /** The workspaces the token opens: `*` for all. */
  ws: z.union([z.literal('*'), z.array(WorkspaceSlug).min(1)]),
  exp: z.int(),
  /** Set on the guest tokens Parley issues itself: only those may be renamed. */
  guest: z.literal(true).optional(),
  /** Confines the user to matching rooms (names, or prefixes ending in `*`). */
  rooms: z.array(RoomPattern).min(1).max(100).optional(),
  /** An admin of the token's workspaces: owner in every room. */
  admin: z.boolean().optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;
