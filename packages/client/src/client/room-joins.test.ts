import {
  type AckOf,
  type ClientEventName,
  ErrorCode,
  fail,
  membersHash,
  type PayloadInputOf,
} from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ana, bo, joinAnswer, ROOM, stored } from '../../test/fixtures';
import { initialConnection } from '../connection';
import { emptyDirectory } from '../room-directory';
import type { Requests } from './requests';
import { createRoomJoins, retryDelayMs } from './room-joins';
import { createSnapshotStore } from './snapshot-store';

/**
 * The races between a handshake's joins and what the user does meanwhile, which a real server
 * cannot be made to lose deterministically (an answer later than the client's timeout): the
 * request channel is a stand-in that records what is sent and answers what the test says.
 */
const ACK_TIMEOUT_MS = 100;

function setup({ random = (): number => 0.5 }: { random?: () => number } = {}) {
  const socket = { connected: false } as { connected: boolean };
  const sent: [ClientEventName, unknown][] = [];
  const answers = new Map<string, (payload: unknown) => AckOf<ClientEventName>>();
  let epoch = 0;
  const requests: Requests = {
    async call<E extends ClientEventName>(event: E, payload: PayloadInputOf<E>) {
      sent.push([event, payload]);
      const answer = answers.get(event);
      if (answer) return answer(payload) as AckOf<E>;
      return (event === 'room:join' ? joinAnswer([]) : { ok: true }) as AckOf<E>;
    },
    epoch: () => epoch,
    stale: (at) => at !== epoch,
    connectionLost: () => {
      epoch++;
    },
  };
  const store = createSnapshotStore({
    workspace: 'acme',
    me: ana,
    connection: initialConnection(),
    rooms: {},
    activeRoom: null,
    roomDirectory: emptyDirectory(),
    roleChange: null,
  });
  const rooms = createRoomJoins({
    store,
    socket: socket as unknown as ChatSocket,
    requests,
    deliver: async () => {},
    forgetTyping: () => {},
    joinOnConnect: true,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    random,
  });
  /** The connection comes up: the handshake (with what it asked) answered, joins under way. */
  const connect = () => {
    const asked = rooms.handshakeJoins();
    socket.connected = true;
    rooms.joinAll();
    return asked;
  };
  return { socket, store, rooms, requests, sent, answers, connect };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("a handshake's join", () => {
  it('is taken from rooms:joined, with no room:join sent', async () => {
    const { store, rooms, sent, connect } = setup();
    rooms.join(ROOM);
    expect(connect()).toEqual([{ room: ROOM }]);
    rooms.handshakeAnswered({ answers: [{ room: ROOM, result: joinAnswer([stored(1)]) }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.get().rooms[ROOM]?.joined).toBe(true);
    expect(sent).toEqual([]);
  });

  it('leaves a room left meanwhile, when its answer comes after the join gave up on it', async () => {
    const { rooms, sent, connect } = setup();
    rooms.join(ROOM);
    connect();
    await rooms.leave(ROOM);
    // The wait for the handshake's answer ends; the room is gone, so nothing is asked again.
    await vi.advanceTimersByTimeAsync(ACK_TIMEOUT_MS + 1000);
    expect(sent).toEqual([]);
    // The server did join it, and says so late: the socket is in a room nobody holds.
    rooms.handshakeAnswered({ answers: [{ room: ROOM, result: joinAnswer([]) }] });
    expect(sent).toEqual([['room:leave', { room: ROOM }]]);
  });

  it('is not taken for a room left and opened again since: room:join from where it is now', async () => {
    const { socket, store, rooms, sent } = setup();
    rooms.join(ROOM);
    // Held from seq 2 when the handshake leaves.
    store.updateRoom(ROOM, {
      type: 'join',
      result: joinAnswer([stored(1), stored(2)]),
      me: ana.id,
    });
    store.updateRoom(ROOM, { type: 'disconnected' });
    const asked = rooms.handshakeJoins();
    // With the hash of the member list it holds (everyone, as the join answered it).
    expect(asked).toEqual([
      { room: ROOM, since: 2, sinceId: expect.any(String), membersHash: membersHash([ana]) },
    ]);
    // Left and opened again before the connection is up: it starts over, from nothing.
    await rooms.leave(ROOM);
    rooms.join(ROOM);
    socket.connected = true;
    rooms.joinAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([['room:join', { room: ROOM }]]);
    // The handshake's answer (a recovery after seq 2) fits no room held now: not applied, and
    // the room is held, so not left either.
    rooms.handshakeAnswered({
      answers: [{ room: ROOM, result: joinAnswer([stored(3)], { recovered: true }) }],
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([['room:join', { room: ROOM }]]);
  });

  it('does not take "members unchanged" for a room opened again since: its list is fetched', async () => {
    const { socket, store, rooms } = setup();
    rooms.join(ROOM);
    // No messages (so no resume point that could tell the two apart), two people present.
    store.updateRoom(ROOM, {
      type: 'join',
      result: joinAnswer([], { members: [ana, bo] }),
      me: ana.id,
    });
    store.updateRoom(ROOM, { type: 'disconnected' });
    expect(rooms.handshakeJoins()).toEqual([{ room: ROOM, membersHash: membersHash([ana, bo]) }]);
    await rooms.leave(ROOM);
    rooms.join(ROOM);
    socket.connected = true;
    rooms.joinAll();
    rooms.handshakeAnswered({
      answers: [{ room: ROOM, result: joinAnswer([], { members: [], membersUnchanged: true }) }],
    });
    await vi.advanceTimersByTimeAsync(0);
    // The list the answer vouched for is not the one this room holds now (none).
    expect(store.get().rooms[ROOM]).toMatchObject({ joined: true, membersStatus: 'stale' });
  });

  it('falls back to room:join when no answer comes within the ack timeout', async () => {
    const { store, rooms, sent, connect } = setup();
    rooms.join(ROOM);
    connect();
    await vi.advanceTimersByTimeAsync(ACK_TIMEOUT_MS + 1000);
    expect(sent).toEqual([['room:join', { room: ROOM }]]);
    expect(store.get().rooms[ROOM]?.joined).toBe(true);
  });
});

describe('a join answered unavailable', () => {
  /** Joins answered `unavailable` `refusals` times, then joined; random fixed to `at`. */
  function refusedJoin(refusals: number, at: number) {
    const fixture = setup({ random: () => at });
    let left = refusals;
    fixture.answers.set('room:join', () =>
      left-- > 0 ? fail(ErrorCode.Unavailable, 'store unavailable') : joinAnswer([]),
    );
    fixture.socket.connected = true;
    fixture.rooms.join(ROOM);
    return fixture;
  }

  it('is tried again for as long as the connection lasts, past the resend delays, until it joins', async () => {
    const { store, sent } = refusedJoin(12, 0.5);
    // Every delay at its middle: 250, 500, 1000, 2000, 4000, then 4000 each.
    await vi.advanceTimersByTimeAsync(250 + 500 + 1000 + 2000 + 4000 * 8 - 1);
    expect(sent).toHaveLength(12);
    expect(store.get().rooms[ROOM]?.joined).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(13);
    expect(store.get().rooms[ROOM]).toMatchObject({ joined: true, error: null });
  });

  it('waits a spread delay: clients refused together do not come back together', async () => {
    const early = refusedJoin(1, 0);
    const late = refusedJoin(1, 0.99);
    await vi.advanceTimersByTimeAsync(125);
    expect(early.sent).toHaveLength(2);
    expect(late.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(250 * 1.49 - 125);
    expect(late.sent).toHaveLength(2);
  });

  it('spreads every delay over half to one and a half of it, and waits out a retryAfterMs in full', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.nat(3_600_000), { nil: undefined }),
        (attempt, random, retryAfterMs) => {
          const delay = retryDelayMs(attempt, retryAfterMs, () => random);
          if (retryAfterMs !== undefined) {
            expect(delay).toBeGreaterThanOrEqual(retryAfterMs);
            expect(delay).toBeLessThanOrEqual(retryAfterMs * 1.5);
            return;
          }
          const base = [250, 500, 1000, 2000, 4000][Math.min(attempt, 4)] as number;
          expect(delay).toBeGreaterThanOrEqual(base / 2);
          // At most: the largest random below 1 can round the product up to the bound itself.
          expect(delay).toBeLessThanOrEqual(base * 1.5);
        },
      ),
    );
  });
});

describe('a gap whose page failed', () => {
  /**
   * A joined room holding 1, 2 and 5 (3 and 4 missing), its gap asked; the history answers
   * `failures` in turn, then the page. Random fixed at the middle: every delay as it is.
   */
  function failedGap(...failures: AckOf<'message:history'>[]) {
    const fixture = setup();
    const { socket, store, rooms, answers } = fixture;
    socket.connected = true;
    answers.set('room:join', () => joinAnswer([stored(1), stored(2)]));
    rooms.join(ROOM);
    const left = [...failures];
    answers.set(
      'message:history',
      () => left.shift() ?? { ok: true, messages: [stored(3), stored(4)], hasMore: false },
    );
    const fetch = async () => {
      await vi.advanceTimersByTimeAsync(0);
      store.updateRoom(ROOM, { type: 'message:new', payload: stored(5, bo), me: ana.id });
      rooms.fetchGaps(ROOM);
      await vi.advanceTimersByTimeAsync(0);
    };
    const historyAsked = () => fixture.sent.filter(([event]) => event === 'message:history');
    const timeline = () => store.get().rooms[ROOM]?.timeline;
    return { ...fixture, fetch, historyAsked, timeline };
  }
  const unavailable = fail(ErrorCode.Unavailable, 'store unavailable');

  it('is asked again after a spread delay, and again, until its page fills it', async () => {
    const { fetch, historyAsked, timeline } = failedGap(unavailable, unavailable);
    await fetch();
    expect(historyAsked()).toEqual([['message:history', { room: ROOM, before: 5, limit: 2 }]]);
    expect(timeline()?.gaps).toEqual([{ before: 5, limit: 2 }]);
    await vi.advanceTimersByTimeAsync(249);
    expect(historyAsked()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(historyAsked()).toHaveLength(2);
    // The resend delays grow as a join's do: 500 ms the second time.
    await vi.advanceTimersByTimeAsync(499);
    expect(historyAsked()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(historyAsked()).toHaveLength(3);
    expect(timeline()?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(timeline()?.gaps).toEqual([]);
  });

  it("waits out a rate_limited answer's retryAfterMs", async () => {
    const slowDown = fail(ErrorCode.RateLimited, 'slow down', { retryAfterMs: 2000 });
    const { fetch, historyAsked, timeline } = failedGap(slowDown);
    await fetch();
    // 2000 ms, plus a quarter of it (random at the middle).
    await vi.advanceTimersByTimeAsync(2499);
    expect(historyAsked()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(historyAsked()).toHaveLength(2);
    expect(timeline()?.gaps).toEqual([]);
  });

  it('is not asked again once live entries filled it meanwhile', async () => {
    const { store, fetch, historyAsked, timeline } = failedGap(unavailable);
    await fetch();
    for (const seq of [3, 4]) {
      store.updateRoom(ROOM, { type: 'message:new', payload: stored(seq, bo), me: ana.id });
    }
    expect(timeline()?.gaps).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(historyAsked()).toHaveLength(1);
  });

  it('is not asked again by a retry once the room is left, or the connection lost', async () => {
    const left = failedGap(unavailable);
    await left.fetch();
    await left.rooms.leave(ROOM);
    const lost = failedGap(unavailable);
    await lost.fetch();
    lost.requests.connectionLost();
    lost.rooms.forgetConnection();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(left.historyAsked()).toHaveLength(1);
    expect(lost.historyAsked()).toHaveLength(1);
  });

  it('is asked once at a time: a fetch during the wait leaves it to the retry', async () => {
    const { rooms, fetch, historyAsked, timeline } = failedGap(unavailable, unavailable);
    await fetch();
    // Another change of the room's gaps has them fetched during the retry's wait.
    rooms.fetchGaps(ROOM);
    await vi.advanceTimersByTimeAsync(0);
    expect(historyAsked()).toHaveLength(1);
    // The retries alone: after 250 ms (unavailable again), then 500 ms (the page).
    await vi.advanceTimersByTimeAsync(10_000);
    expect(historyAsked()).toHaveLength(3);
    expect(timeline()?.gaps).toEqual([]);
  });

  it('is not asked again when refused for good (forbidden): the next join recovers it', async () => {
    const { rooms, fetch, historyAsked } = failedGap(fail(ErrorCode.Forbidden, 'no'));
    await fetch();
    await vi.advanceTimersByTimeAsync(10_000);
    rooms.fetchGaps(ROOM);
    await vi.advanceTimersByTimeAsync(0);
    expect(historyAsked()).toHaveLength(1);
  });
});
