import type { RoomSummary } from '@parley/protocol';

/**
 * The lobby's rooms in two parts: those with people online, busiest first, where someone
 * looking for company finds them; then the quiet ones, by name. A workspace keeps every room
 * ever made, so by name alone the few live rooms drown among the empty ones.
 */
export interface RoomSections {
  active: RoomSummary[];
  quiet: RoomSummary[];
}

export function byActivity(rooms: RoomSummary[]): RoomSections {
  const active = rooms.filter((room) => room.memberCount > 0);
  const quiet = rooms.filter((room) => room.memberCount === 0);
  // Array.sort is stable: rooms with the same count stay in the order given (by name).
  active.sort((a, b) => b.memberCount - a.memberCount);
  return { active, quiet };
}
