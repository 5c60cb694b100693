import { ErrorCode, type Role, ServerEvent, type Visibility } from '@parley/protocol';
import type { ConnectionEvent } from '../connection';
import type { ServerEventHandlers } from '../listen';
import { knownUnlisted, roomGone, roomUpdated } from '../room-directory';
import type { SnapshotStore } from './snapshot-store';

/**
 * What every server event does to the client's state: mostly an action for the room reducer;
 * also the room list's live counts, this user's role changes and the connection's shutdown
 * notices. The table's type fails to compile when an event is missing.
 */
export function createServerEventHandlers(deps: {
  store: SnapshotStore;
  now: () => number;
  /** Feeds the connection machine. */
  step: (event: ConnectionEvent) => void;
  join: (room: string) => void;
  forgetTyping: (room: string) => void;
  /** The answers to the rooms the handshake joined (room-joins.ts). */
  handshakeAnswered: ServerEventHandlers['rooms:joined'];
}): ServerEventHandlers {
  const { store, now, step, join, forgetTyping, handshakeAnswered } = deps;
  const dispatch: SnapshotStore['updateRoom'] = (room, action) => store.updateRoom(room, action);
  const me = () => store.get().me.id;

  /**
   * This user's role in a room before a `room:role`, as far as this client knows: null when they
   * had none, undefined when it cannot tell (the room is not joined here).
   */
  function roleBefore(room: string, visibility: Visibility): Role | null | undefined {
    const { rooms, roomDirectory } = store.get();
    const state = rooms[room];
    if (state?.joined) return state.details.role;
    if (state?.error?.code === ErrorCode.Forbidden) return null;
    // A private room is listed only to its members: missing from a list that reaches where it
    // would be, it was not theirs.
    if (visibility === 'private' && knownUnlisted(roomDirectory, room)) return null;
    return undefined;
  }

  return {
    [ServerEvent.MessageNew]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.MessageNew, payload, me: me() }),
    [ServerEvent.MessageUpdated]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.MessageUpdated, payload }),
    [ServerEvent.MessageDeleted]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.MessageDeleted, payload, now: now() }),
    [ServerEvent.PresenceJoined]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.PresenceJoined, payload }),
    [ServerEvent.PresenceLeft]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.PresenceLeft, payload }),
    [ServerEvent.PresenceChanged]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.PresenceChanged, payload }),
    [ServerEvent.TypingChanged]: (payload) =>
      dispatch(payload.room, {
        type: ServerEvent.TypingChanged,
        payload,
        me: me(),
        now: now(),
      }),
    [ServerEvent.RoomUpdated]: (payload) => {
      const { room: name, presence: _presence, ...summary } = payload;
      const current = store.get().roomDirectory;
      const directory = roomUpdated(current, { name, ...summary });
      if (directory !== current) store.set({ roomDirectory: directory });
      dispatch(name, { type: ServerEvent.RoomUpdated, payload });
    },
    [ServerEvent.RoomEvent]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.RoomEvent, payload, now: now() }),
    [ServerEvent.RoomsJoined]: handshakeAnswered,
    [ServerEvent.ServerShutdown]: () => step({ type: ServerEvent.ServerShutdown }),
    [ServerEvent.ConnectionClosing]: ({ reason }) =>
      step({ type: ServerEvent.ConnectionClosing, reason }),
    [ServerEvent.RoomRemoved]: (payload) => {
      const { room } = payload;
      forgetTyping(room);
      // A private room is listed for members only; a public one stays listed, ban or not.
      const { rooms, roomDirectory } = store.get();
      if (rooms[room]?.details.visibility === 'private') {
        store.set({ roomDirectory: roomGone(roomDirectory, room) });
      }
      dispatch(room, { type: ServerEvent.RoomRemoved, payload });
    },
    [ServerEvent.RoomRole]: (payload) => {
      const { room: name, role, presence: _presence, ...summary } = payload;
      const previous = roleBefore(name, payload.visibility);
      const { roomDirectory, roleChange } = store.get();
      store.set({
        roomDirectory: roomUpdated(roomDirectory, { name, ...summary }),
        roleChange:
          previous === role
            ? roleChange
            : { id: (roleChange?.id ?? 0) + 1, room: name, previous, role },
      });
      const refused = store.get().rooms[name]?.error?.code === ErrorCode.Forbidden;
      dispatch(name, { type: ServerEvent.RoomRole, payload });
      // A room whose door was shut on this client is tried again: being added may open it.
      if (refused) join(name);
    },
  };
}
