import type { HistoryStore, JoinStore, PresenceStore, RoomStore } from './types';

/**
 * A join's reads, each from its own store: for stores that cannot read them in one step (in
 * memory each answers at once anyway; Redis Cluster keeps a room's history in another slot than
 * its presence). The room and its history first, then the presence: a read that fails has added
 * nothing, and a presence add that fails is the presence store's to undo, as on its own.
 */
export function composedJoinStore(stores: {
  presence: PresenceStore;
  rooms: RoomStore;
  history: HistoryStore;
}): JoinStore {
  return {
    async enter(ref, { member, connectionId, membersMax }, query) {
      const [record, history] = await Promise.all([
        stores.rooms.get(ref),
        stores.history.forJoin(ref, query),
      ]);
      const presence = await stores.presence.enter(ref, member, connectionId, membersMax);
      return { presence, record, history };
    },
  };
}
