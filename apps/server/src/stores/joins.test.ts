import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from './errors';
import { composedJoinStore } from './joins';
import { createMemoryStores } from './memory';
import type { RoomRecord } from './types';

/**
 * The composed join store (Redis Cluster's, and memory's) reads the room and its history before
 * it adds the presence. A caller that gave up while it read (its deadline passed) must not have
 * the add made after all: nobody would be answered, and the user would stay present for good.
 */
describe('composedJoinStore', () => {
  const ref = { workspace: 'acme', room: 'general' };
  const query = { pageLimit: 50, recoveryMax: 100 };
  const entrant = (id: string) => ({
    member: { id, name: id },
    connectionId: `conn-${id}`,
    membersMax: 50,
  });

  /** Memory stores whose room reads wait until `release()`. */
  function slowReads() {
    const stores = createMemoryStores({ historyRetention: 100 });
    const waiting: (() => void)[] = [];
    const get = stores.rooms.get.bind(stores.rooms);
    const rooms = {
      ...stores.rooms,
      get: (...args: Parameters<typeof get>) =>
        new Promise<RoomRecord | undefined>((resolve) => {
          waiting.push(() => resolve(get(...args)));
        }),
    };
    const joins = composedJoinStore({ ...stores, rooms });
    const release = () => {
      for (const go of waiting.splice(0)) go();
    };
    return { stores, joins, release };
  }

  it('adds nothing for a caller that gave up while it read', async () => {
    const { stores, joins, release } = slowReads();
    const entering = joins.enter(ref, entrant('ana'), query);
    joins.abandon(ref, 'conn-ana');
    release();
    await expect(entering).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await stores.presence.count(ref)).toBe(0);
  });

  it('adds for a later call of the same connection, and for other connections', async () => {
    const { stores, joins, release } = slowReads();
    const first = joins.enter(ref, entrant('ana'), query);
    const other = joins.enter(ref, entrant('bo'), query);
    joins.abandon(ref, 'conn-ana');
    const again = joins.enter(ref, entrant('ana'), query);
    release();
    await expect(first).rejects.toBeInstanceOf(StoreUnavailableError);
    await other;
    expect((await again).presence.count).toBe(2);
    const present = await stores.presence.members(ref);
    expect(present.map((member) => member.id).sort()).toEqual(['ana', 'bo']);
  });
});
