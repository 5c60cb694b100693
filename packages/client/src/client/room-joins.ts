import { ClientEvent, type ErrorBody, ErrorCode, LIMITS } from '@parley/protocol';
import { type ChatSocket, RESEND_DELAYS_MS } from '@parley/protocol/client';
import { toResend } from '../outbox';
import { gapRequest, oldestSeq, resumePoint } from '../timeline';
import { type Requests, wait } from './requests';
import type { SnapshotStore } from './snapshot-store';

/** Join answers worth trying again a few times while connected. */
const RETRIED_JOIN = new Set<string>([ErrorCode.Unavailable, ErrorCode.RateLimited]);

export interface RoomJoins {
  join(room: string): void;
  open(room: string): void;
  blur(room: string): void;
  leave(room: string): Promise<ErrorBody | null>;
  /** The server says this socket is not in the room: join it again (pending messages follow). */
  rejoin(room: string): void;
  loadOlder(room: string): Promise<void>;
  /** Fetches the room's gaps not asked for on this connection yet (a failure waits for a join). */
  fetchGaps(room: string): void;
  /** On a (re)connection: joins every room held and not removed. */
  joinAll(): void;
  /** Forgets the joins and gap requests of a lost connection. */
  forgetConnection(): void;
  /** Tells every room held that the connection is lost. */
  markDisconnected(): void;
}

/**
 * The rooms this client holds on the server: joins (again after every reconnection, from the last
 * unbroken `seq`), the gaps and older pages of their histories, and leaving. A join that succeeds
 * hands the room's pending messages to the outbox (`deliver`).
 */
export function createRoomJoins(deps: {
  store: SnapshotStore;
  socket: ChatSocket;
  requests: Requests;
  /** Sends a pending message (outbox delivery). */
  deliver: (room: string, key: string) => Promise<void>;
  /** Forgets what this client told the room about its typing. */
  forgetTyping: (room: string) => void;
}): RoomJoins {
  const { store, socket, requests, deliver, forgetTyping } = deps;
  const { call } = requests;
  const joining = new Map<string, Promise<void>>();
  const gapsAsked = new Map<string, Set<number>>();

  /** Joins (or re-joins after a reconnection, catching up from the last unbroken `seq`). */
  function joinRoom(room: string): Promise<void> {
    const inFlight = joining.get(room);
    if (inFlight) return inFlight;
    const joined = joinOnce(room, requests.epoch()).finally(() => {
      if (joining.get(room) === joined) joining.delete(room);
    });
    joining.set(room, joined);
    return joined;
  }

  async function joinOnce(room: string, at: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const known = store.get().rooms[room];
      if (!known || known.removed) return;
      // With the id at `since`, the server tells a reset history (a restarted server) from ours.
      const resume = resumePoint(known.timeline.messages);
      const result = await call(ClientEvent.RoomJoin, { room, ...resume });
      if (requests.stale(at)) return;
      if (!store.get().rooms[room]) {
        // Left while joining.
        if (result.ok) void call(ClientEvent.RoomLeave, { room });
        return;
      }
      const delay = RESEND_DELAYS_MS[attempt];
      if (!result.ok && delay !== undefined && RETRIED_JOIN.has(result.error.code)) {
        await wait(result.error.retryAfterMs ?? delay);
        if (requests.stale(at)) return;
        continue;
      }
      gapsAsked.delete(room);
      store.updateRoom(room, { type: 'join', result, me: store.get().me.id });
      if (result.ok) {
        for (const message of toResend(store.get().rooms[room]?.timeline.messages ?? [])) {
          void deliver(room, message.key);
        }
      }
      return;
    }
  }

  function rejoin(room: string): void {
    store.updateRoom(room, { type: 'disconnected' });
    if (socket.connected) void joinRoom(room);
  }

  function join(room: string): void {
    if (store.isDisposed()) return;
    const state = store.get().rooms[room];
    if (!state) store.addRoom(room);
    else if (state.error || state.removed) store.updateRoom(room, { type: 'open' });
    else if (state.joined) return;
    if (socket.connected) void joinRoom(room);
  }

  function open(room: string): void {
    join(room);
    const previous = store.get().activeRoom;
    if (previous !== room) {
      store.set({ activeRoom: room });
      if (previous) store.updateRoom(previous, { type: 'blur' });
    }
    store.updateRoom(room, { type: 'focus' });
  }

  function blur(room: string): void {
    if (store.get().activeRoom === room) store.set({ activeRoom: null });
    store.updateRoom(room, { type: 'blur' });
  }

  async function leave(room: string): Promise<ErrorBody | null> {
    const { rooms, activeRoom } = store.get();
    const state = rooms[room];
    if (!state) return null;
    const { [room]: _left, ...rest } = rooms;
    forgetTyping(room);
    store.set({ rooms: rest, activeRoom: activeRoom === room ? null : activeRoom });
    // A join on its way leaves by itself when it finds the room gone.
    if (!state.joined) return null;
    const result = await call(ClientEvent.RoomLeave, { room });
    return result.ok || result.error.code === ErrorCode.NotJoined ? null : result.error;
  }

  async function loadOlder(room: string): Promise<void> {
    const state = store.get().rooms[room];
    if (!state?.joined || !socket.connected) return;
    const { timeline } = state;
    const before = oldestSeq(timeline.messages);
    if (timeline.loadingOlder || !timeline.hasMore || before === undefined) return;
    store.updateRoom(room, { type: 'loadingOlder' });
    const result = await call(ClientEvent.MessageHistory, {
      room,
      before,
      limit: LIMITS.historyPageDefault,
    });
    store.updateRoom(room, { type: 'history', purpose: { kind: 'older' }, result });
  }

  function fetchGaps(room: string): void {
    const state = store.get().rooms[room];
    if (!state?.joined || !socket.connected) return;
    let asked = gapsAsked.get(room);
    for (const gap of state.timeline.gaps) {
      if (asked?.has(gap.before)) continue;
      asked ??= new Set();
      gapsAsked.set(room, asked);
      asked.add(gap.before);
      const at = requests.epoch();
      void call(ClientEvent.MessageHistory, { room, ...gapRequest(gap) }).then((result) => {
        if (!requests.stale(at)) {
          store.updateRoom(room, { type: 'history', purpose: { kind: 'gap', gap }, result });
        }
      });
    }
  }

  return {
    join,
    open,
    blur,
    leave,
    rejoin,
    loadOlder,
    fetchGaps,
    joinAll() {
      for (const [room, state] of Object.entries(store.get().rooms)) {
        if (!state.removed) void joinRoom(room);
      }
    },
    forgetConnection() {
      joining.clear();
      gapsAsked.clear();
    },
    markDisconnected() {
      for (const room of Object.keys(store.get().rooms)) {
        store.updateRoom(room, { type: 'disconnected' });
      }
    },
  };
}
