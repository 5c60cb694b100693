import type { HistoryStore, JoinStore, PresenceStore, RoomStore } from './types';

/**
 * A join's reads, each from its own store, all at once: for stores that cannot read them in one
 * step (in memory each answers at once anyway; Redis Cluster keeps a room's history in another
 * slot than its presence).
 */
export function composedJoinStore(stores: {
  presence: PresenceStore;
  rooms: RoomStore;
  history: HistoryStore;
}): JoinStore {
  return {
    async enter(ref, { member, connectionId, membersMax }, query) {
      const [presence, record, history] = await Promise.all([
        stores.presence.enter(ref, member, connectionId, membersMax),
        stores.rooms.get(ref),
        stores.history.forJoin(ref, query),
      ]);
      return { presence, record, history };
    },
  };
}
