import type { OccupancyStore } from '../types';
import { refKey } from './keys';
import type { MemoryPresenceStore } from './presence';

/** Occupied rooms of this process, judged by the presence store's count in the same step. */
export function createMemoryOccupancyStore(
  presence: Pick<MemoryPresenceStore, 'countNow'>,
): OccupancyStore {
  const occupied = new Set<string>();
  return {
    async mark(ref, value) {
      const key = refKey(ref);
      const hasMembers = presence.countNow(ref) > 0;
      if (value !== hasMembers || occupied.has(key) === value) return false;
      if (value) occupied.add(key);
      else occupied.delete(key);
      return true;
    },
  };
}
