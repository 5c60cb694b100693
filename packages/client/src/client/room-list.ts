import { ClientEvent } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import {
  type AskedPage,
  firstPage,
  nextPage,
  pageArrived,
  pageFailed,
  pagePayload,
  searchPrefix,
} from '../room-directory';
import type { Requests } from './requests';
import type { SnapshotStore } from './snapshot-store';

export interface RoomList {
  watch(): void;
  unwatch(): void;
  searchRooms(prefix: string): void;
  showMoreRooms(): void;
  /** On a (re)connection: asks again for the list in view, if it is watched. */
  reconnected(): void;
}

/**
 * The lobby's room list: asks for its pages as the pure room-directory.ts says, and again after
 * every reconnection while it is watched (live counts come as `room:updated`, in server-events).
 */
export function createRoomList(deps: {
  store: SnapshotStore;
  socket: ChatSocket;
  requests: Requests;
}): RoomList {
  const { store, socket, requests } = deps;
  let watching = false;

  function searchRooms(prefix: string): void {
    void listRooms(firstPage(store.get().roomDirectory, searchPrefix(prefix)));
  }

  function showMoreRooms(): void {
    const asked = socket.connected && nextPage(store.get().roomDirectory);
    if (asked) void listRooms(asked);
  }

  async function listRooms({ directory, page }: AskedPage): Promise<void> {
    store.set({ roomDirectory: directory });
    // Offline, the search is kept: the reconnection asks for it, superseding this request.
    if (!socket.connected) return;
    const result = await requests.call(ClientEvent.RoomList, pagePayload(page));
    const current = store.get().roomDirectory;
    // A request lost to a disconnection has nothing to tell: the reconnection asks again.
    const next = result.ok
      ? pageArrived(current, page.id, result)
      : pageFailed(current, page.id, socket.connected ? result.error : null);
    if (next !== current) store.set({ roomDirectory: next });
  }

  return {
    watch() {
      watching = true;
      searchRooms(store.get().roomDirectory.query);
    },
    unwatch() {
      watching = false;
    },
    searchRooms,
    showMoreRooms,
    reconnected() {
      if (watching) searchRooms(store.get().roomDirectory.query);
    },
  };
}
