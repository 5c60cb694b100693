import { every } from '../every';
import type { Logger } from '../logger';
import type { RoomRef, Stores } from '../stores/types';
import { UNLIMITED_ROOMS } from './room-creation';

export interface RoomExpiry {
  stop(): void;
  /** One pass now (tests, and the timer): answers how many rooms were deleted. */
  sweep(): Promise<number>;
}

/** Rooms looked at per batch, and batches per pass: a pass is bounded, the next one goes on. */
const BATCH = 200;
const BATCHES_PER_PASS = 10;

/**
 * Deletes public rooms that were created and never used: no message, no topic, no member but
 * their creator, nobody in them for `ttlMs`. A room with history or a topic is kept for good (and never looked at again); an
 * occupied one has its idle time start over. Every node sweeps; deleting twice is harmless.
 */
export function startRoomExpiry(
  stores: Stores,
  { ttlMs, log, track }: { ttlMs: number; log: Logger; track(work: Promise<unknown>): void },
): RoomExpiry {
  async function settle(ref: RoomRef): Promise<boolean> {
    const [record, members, lastSeq, stored] = await Promise.all([
      stores.rooms.get(ref),
      stores.presence.count(ref),
      stores.history.lastSeq(ref),
      stores.members.list(ref, 2),
    ]);
    if (!record) {
      await stores.rooms.retire(ref);
      return false;
    }
    // Kept for good: history, a topic, or any sign someone meant the room to last — it is
    // private or read-only, or has members besides its creator. (A private room deleted here
    // would be re-created public by the next join of its name, owned by that stranger.)
    const meant = record.visibility === 'private' || record.readOnly || stored.length > 1;
    if (lastSeq > 0 || record.topic !== null || meant) {
      await stores.rooms.retire(ref);
      return false;
    }
    if (members > 0) {
      await stores.rooms.touch(ref);
      return false;
    }
    await stores.rooms.remove(ref);
    // Someone joined between the check and the removal: the room they are in exists again.
    if ((await stores.presence.count(ref)) > 0) {
      await stores.rooms.create(ref, { maxRooms: UNLIMITED_ROOMS });
      return false;
    }
    // Its creator's ownership goes with it: whoever makes the name again owns the new room.
    for (const member of stored) await stores.members.remove(ref, member.id);
    return true;
  }

  async function sweep(): Promise<number> {
    let removed = 0;
    for (let batch = 0; batch < BATCHES_PER_PASS; batch++) {
      const idle = await stores.rooms.idle(Date.now() - ttlMs, BATCH);
      for (const ref of idle) if (await settle(ref)) removed++;
      if (idle.length < BATCH) break;
    }
    if (removed > 0) log.info({ removed }, 'deleted empty rooms that stayed unused');
    return removed;
  }

  const stop = every(Math.min(Math.max(ttlMs / 4, 1000), 60_000), sweep, {
    track,
    onError: (error) => log.warn({ err: error }, 'room expiry failed; will retry'),
  });
  return { stop, sweep };
}
