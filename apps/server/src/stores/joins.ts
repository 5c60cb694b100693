import { StoreUnavailableError } from './errors';
import type { HistoryStore, JoinStore, PresenceStore, RoomRef, RoomStore } from './types';

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
  /** Each connection's latest call per room, until it adds the presence (see `abandon`). */
  const reading = new Map<string, { abandoned: boolean }>();
  const keyOf = (ref: RoomRef, connectionId: string) =>
    `${ref.workspace}/${ref.room}/${connectionId}`;
  return {
    async enter(ref, { member, connectionId, membersMax }, query) {
      const key = keyOf(ref, connectionId);
      const call = { abandoned: false };
      reading.set(key, call);
      const [record, history] = await Promise.all([
        stores.rooms.get(ref),
        stores.history.forJoin(ref, query),
      ]).finally(() => {
        if (reading.get(key) === call) reading.delete(key);
      });
      // Its caller gave up while it read (a deadline): add nothing nobody will be answered about.
      if (call.abandoned) throw new StoreUnavailableError('the join was abandoned before its add');
      const presence = await stores.presence.enter(ref, member, connectionId, membersMax);
      return { presence, record, history };
    },
    abandon(ref, connectionId) {
      const call = reading.get(keyOf(ref, connectionId));
      if (call) call.abandoned = true;
      stores.presence.abandon(ref, connectionId);
    },
  };
}
