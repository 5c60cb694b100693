import type { ParleySnapshot } from '../client';
import { emptyRoom, type RoomAction, type RoomState, roomReducer } from '../room';

/** Told after a room's state changed, for the effects a change calls for (gaps, typing timers). */
export type RoomChangeWatcher = (room: string, before: RoomState, after: RoomState) => void;

/**
 * The client's one mutable thing: the current snapshot, replaced (never changed) on every update,
 * and the listeners told of it. The other parts read and write the state only through here.
 */
export interface SnapshotStore {
  get(): ParleySnapshot;
  /** Replaces the snapshot with these fields changed and tells the listeners (not once disposed). */
  set(change: Partial<ParleySnapshot>): void;
  subscribe(listener: () => void): () => void;
  /** Runs a known room's state through the room reducer; a room not held is left alone. */
  updateRoom(room: string, action: RoomAction): void;
  /** Holds a room, with nothing in it yet. */
  addRoom(room: string): void;
  onRoomChange(watcher: RoomChangeWatcher): void;
  isDisposed(): boolean;
  /** Stops every further change and forgets the listeners. */
  dispose(): void;
}

export function createSnapshotStore(initial: ParleySnapshot): SnapshotStore {
  let snapshot = initial;
  let disposed = false;
  const listeners = new Set<() => void>();
  const watchers: RoomChangeWatcher[] = [];

  function set(change: Partial<ParleySnapshot>): void {
    if (disposed) return;
    snapshot = { ...snapshot, ...change };
    // A copy: a listener may unsubscribe (or subscribe another) while they are told.
    for (const listener of [...listeners]) listener();
  }

  return {
    get: () => snapshot,
    set,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    updateRoom(room, action) {
      const state = snapshot.rooms[room];
      if (!state) return;
      const next = roomReducer(state, action);
      if (next === state) return;
      set({ rooms: { ...snapshot.rooms, [room]: next } });
      for (const watcher of watchers) watcher(room, state, next);
    },
    addRoom(room) {
      set({ rooms: { ...snapshot.rooms, [room]: emptyRoom(room) } });
    },
    onRoomChange(watcher) {
      watchers.push(watcher);
    },
    isDisposed: () => disposed,
    dispose() {
      disposed = true;
      listeners.clear();
    },
  };
}
