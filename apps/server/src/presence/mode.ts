import type { PresenceMode } from '@parley/protocol';

/**
 * Whether a room of `memberCount` users online sends every arrival and departure (`members`), or
 * only its count (`count`). Decided from the shared count alone, so every node agrees.
 */
export function presenceModeOf(memberCount: number, membersMax: number): PresenceMode {
  return memberCount > membersMax ? 'count' : 'members';
}
