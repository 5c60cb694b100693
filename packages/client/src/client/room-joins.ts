import {
  type AckOf,
  ClientEvent,
  type ErrorBody,
  ErrorCode,
  fail,
  LIMITS,
  type PayloadInputOf,
  type ServerPayloadOf,
} from '@parley/protocol';
import { type ChatSocket, RESEND_DELAYS_MS } from '@parley/protocol/client';
import { toResend } from '../outbox';
import { heldMembers } from '../room';
import { type Gap, gapRequest, oldestSeq, resumePoint } from '../timeline';
import { type Requests, wait } from './requests';
import type { SnapshotStore } from './snapshot-store';

/**
 * Answers worth asking again, for as long as the connection lasts: the server (or its store) is
 * slow or busy now, and a join or a page of history is safe to repeat. Any other refusal would
 * answer the same again.
 */
const RETRIED = new Set<string>([ErrorCode.Unavailable, ErrorCode.RateLimited]);

/**
 * How long a join waits before trying again: the resend delays, then their longest for as long
 * as the connection lasts (a room the user opened stays wanted; the next connection starts
 * over), each spread over half to one and a half of itself. Thousands of clients refused at
 * once (a reconnect storm meeting a store that is slow to come back) then come back spread
 * out, not in waves every 250, 500, 1000 ms. A `retryAfterMs` the server gave is waited out
 * in full, plus up to half of it.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs * (1 + random() / 2);
  const delay = RESEND_DELAYS_MS[Math.min(attempt, RESEND_DELAYS_MS.length - 1)] as number;
  return delay * (0.5 + random());
}

export interface RoomJoins {
  join(room: string): void;
  open(room: string): void;
  blur(room: string): void;
  leave(room: string): Promise<ErrorBody | null>;
  /** The server says this socket is not in the room: join it again (pending messages follow). */
  rejoin(room: string): void;
  loadOlder(room: string): Promise<void>;
  /**
   * Fetches the room's gaps not asked for on this connection yet; one answered `unavailable` or
   * `rate_limited` is asked again after a spread delay (any other failure waits for a join).
   */
  fetchGaps(room: string): void;
  /**
   * The rooms to join in the next connection's handshake (`auth.join`): every room held and not
   * removed, from its last unbroken `seq`. Their answers come in `rooms:joined`.
   */
  handshakeJoins(): PayloadInputOf<'room:join'>[];
  /** The server's answers to the handshake's joins. */
  handshakeAnswered(payload: ServerPayloadOf<'rooms:joined'>): void;
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
  /** Join rooms in the handshake (`auth.join`); false: with `room:join` once connected. */
  joinOnConnect: boolean;
  /** How long a handshake's join answer is waited for before it is asked with `room:join`. */
  ackTimeoutMs: number;
  /** Random numbers in [0, 1): the spread of join and gap retries. */
  random: () => number;
}): RoomJoins {
  const { store, socket, requests, deliver, forgetTyping, joinOnConnect, ackTimeoutMs, random } =
    deps;
  const { call } = requests;
  const joining = new Map<string, Promise<void>>();
  /**
   * Each room's gaps (by `before`) asked on this connection since the room's last join: a
   * `message:history` or its retry is on its way, or the answer said it is no use asking again.
   */
  const gapsAsked = new Map<string, Set<number>>();
  /** The rooms the current connection's handshake asked to join, until their answers are used. */
  let offered = new Map<string, HandshakeJoin>();

  /**
   * The answer to a room's join in this connection's handshake, if it asked from where the room
   * resumes now (else the room was left and opened again since: it is asked with `room:join`):
   * `unavailable` when none came within the ack timeout (a server before `auth.join` ignores it),
   * so the join is asked again with `room:join`.
   */
  function handshakeAnswer(room: string, resume: ResumePoint | undefined): Asked | undefined {
    const join = offered.get(room);
    if (join?.waiting !== 'none') return undefined;
    if (join.resume?.since !== resume?.since || join.resume?.sinceId !== resume?.sinceId) {
      join.waiting = 'gone';
      return undefined;
    }
    join.waiting = 'join';
    const timer = setTimeout(() => {
      join.waiting = 'gone';
      join.answer(fail(ErrorCode.Unavailable, "no answer to the handshake's join"));
    }, ackTimeoutMs);
    return { ...join.held, answer: join.answered.finally(() => clearTimeout(timer)) };
  }

  /** `room:join` now, naming the member list held (the answer is checked against it). */
  function joinNow(room: string, resume: ResumePoint | undefined): Asked {
    const known = store.get().rooms[room];
    const held = known ? heldMembers(known) : {};
    return { ...held, answer: call(ClientEvent.RoomJoin, { room, ...resume, ...held }) };
  }

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
      // The first attempt of a re-join the handshake carried takes its answer from there.
      const asked = (attempt === 0 && handshakeAnswer(room, resume)) || joinNow(room, resume);
      const answer = await asked.answer;
      if (requests.stale(at)) return;
      if (!store.get().rooms[room]) {
        // Left while joining.
        if (answer.ok) void call(ClientEvent.RoomLeave, { room });
        return;
      }
      if (!answer.ok && RETRIED.has(answer.error.code)) {
        await wait(retryDelayMs(attempt, answer.error.retryAfterMs, random));
        if (requests.stale(at)) return;
        continue;
      }
      gapsAsked.delete(room);
      store.updateRoom(room, {
        type: 'join',
        result: answer,
        me: store.get().me.id,
        membersHash: asked.membersHash,
      });
      if (answer.ok) {
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
    for (const gap of state.timeline.gaps) {
      if (markAsked(room, gap)) void fetchGap(room, gap, requests.epoch());
    }
  }

  /** Marks a gap as asked; false when it is already (its answer, or its retry, is on its way). */
  function markAsked(room: string, gap: Gap): boolean {
    let asked = gapsAsked.get(room);
    if (asked?.has(gap.before)) return false;
    asked ??= new Set();
    gapsAsked.set(room, asked);
    asked.add(gap.before);
    return true;
  }

  /**
   * Asks for a gap's entries. A failed answer leaves the gap open (the reducer changes nothing);
   * `unavailable` or `rate_limited` is asked again after a spread delay, as a join is, or the
   * hole would stay until the next reconnection. The gap stays marked as asked while it waits:
   * forgotten, a `fetchGaps` meanwhile (any change of the room's gaps) would ask it at once and
   * start a second round of retries, each asking in the other's wait — more requests for a
   * server that is already slow. The retries end with the connection, with a join answered since
   * (it replaced the gaps and their marks), or once the room is left or holds those entries.
   */
  async function fetchGap(room: string, first: Gap, at: number): Promise<void> {
    const asked = gapsAsked.get(room);
    let gap = first;
    for (let attempt = 0; ; attempt++) {
      const result = await call(ClientEvent.MessageHistory, { room, ...gapRequest(gap) });
      if (requests.stale(at)) return;
      store.updateRoom(room, { type: 'history', purpose: { kind: 'gap', gap }, result });
      if (result.ok || !RETRIED.has(result.error.code)) return;
      await wait(retryDelayMs(attempt, result.error.retryAfterMs, random));
      if (requests.stale(at) || gapsAsked.get(room) !== asked) return;
      const still = stillOpen(room, gap);
      if (!still) {
        // Filled, or shrunk to another gap (asked on its own): this one may be asked anew.
        asked?.delete(gap.before);
        return;
      }
      gap = still;
    }
  }

  /** The gap as the room holds it now, if it is joined and still misses those entries. */
  function stillOpen(room: string, gap: Gap): Gap | undefined {
    const state = store.get().rooms[room];
    if (!state?.joined) return undefined;
    return state.timeline.gaps.find((open) => open.before === gap.before);
  }

  return {
    join,
    open,
    blur,
    leave,
    rejoin,
    loadOlder,
    fetchGaps,
    handshakeJoins() {
      offered = new Map();
      if (!joinOnConnect) return [];
      const joins: PayloadInputOf<'room:join'>[] = [];
      for (const [room, state] of Object.entries(store.get().rooms)) {
        if (state.removed || joins.length === LIMITS.roomsPerSocketMax) continue;
        const resume = resumePoint(state.timeline.messages);
        const held = heldMembers(state);
        joins.push({ room, ...resume, ...held });
        offered.set(room, handshakeJoin(resume, held));
      }
      return joins;
    },
    handshakeAnswered({ answers }) {
      for (const { room, result } of answers) {
        const join = offered.get(room);
        if (!join) continue;
        join.answer(result);
        // An answer no join takes, for a room no longer held (left before the connection was up,
        // or while its join had given up waiting): the socket is in it, so it leaves it.
        if (join.waiting !== 'join' && result.ok && !store.get().rooms[room]) {
          void call(ClientEvent.RoomLeave, { room });
        }
      }
    },
    joinAll() {
      for (const [room, state] of Object.entries(store.get().rooms)) {
        if (!state.removed) void joinRoom(room);
      }
    },
    forgetConnection() {
      joining.clear();
      gapsAsked.clear();
      for (const join of offered.values()) join.answer(fail(ErrorCode.Unavailable, 'disconnected'));
      offered = new Map();
    },
    markDisconnected() {
      for (const room of Object.keys(store.get().rooms)) {
        store.updateRoom(room, { type: 'disconnected' });
      }
    },
  };
}

type ResumePoint = ReturnType<typeof resumePoint>;

/** A join on its way: its answer, and what it said of the member list held. */
interface Asked {
  answer: Promise<AckOf<'room:join'>>;
  membersHash?: string;
}

/** One room's join in a connection's handshake: its answer, once `rooms:joined` brings it. */
interface HandshakeJoin {
  /** Where the handshake asked the room to resume from. */
  resume: ResumePoint | undefined;
  /** What it said of the room's member list held. */
  held: { membersHash?: string };
  answered: Promise<AckOf<'room:join'>>;
  answer(result: AckOf<'room:join'>): void;
  /**
   * Who takes the answer: nobody yet, a join waiting for it, or nobody (the join gave up waiting,
   * or the room was asked with `room:join` instead).
   */
  waiting: 'none' | 'join' | 'gone';
}

function handshakeJoin(
  resume: ResumePoint | undefined,
  held: { membersHash?: string },
): HandshakeJoin {
  let answer!: (result: AckOf<'room:join'>) => void;
  const answered = new Promise<AckOf<'room:join'>>((resolve) => {
    answer = resolve;
  });
  return { resume, held, answered, answer, waiting: 'none' };
}
