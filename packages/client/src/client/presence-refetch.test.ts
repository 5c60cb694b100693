import {
  type AckOf,
  ErrorCode,
  fail,
  type Member,
  type PayloadInputOf,
  type ServerPayloadOf,
} from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ana, bo, info, joinAnswer, ROOM, stored } from '../../test/fixtures';
import { initialConnection } from '../connection';
import { emptyDirectory } from '../room-directory';
import { createPresenceRefetch } from './presence-refetch';
import type { Requests } from './requests';
import { createSnapshotStore } from './snapshot-store';

const cy: Member = { id: 'cy', name: 'Cy' };
type ListPayload = PayloadInputOf<'presence:list'>;

/**
 * The refetch of a stale member list, with fake timers and a fixed random source: a store, the
 * refetch wired to its room changes as the client wires it, and `presence:list` answered by the
 * test.
 */
function setup({ random = (): number => 0.3 }: { random?: () => number } = {}) {
  const store = createSnapshotStore({
    workspace: 'acme',
    me: ana,
    connection: { ...initialConnection(), status: 'connected' },
    rooms: {},
    activeRoom: null,
    roomDirectory: emptyDirectory(),
    roleChange: null,
  });
  const asked: ListPayload[] = [];
  let answer: (payload: ListPayload) => Promise<AckOf<'presence:list'>> = async () => ({
    ok: true,
    members: [ana, bo, cy],
    nextCursor: null,
    memberCount: 3,
  });
  let epoch = 0;
  const requests: Requests = {
    call: ((event: string, payload: ListPayload) => {
      expect(event).toBe('presence:list');
      asked.push(payload);
      return answer(payload);
    }) as Requests['call'],
    epoch: () => epoch,
    stale: (at) => at !== epoch,
    connectionLost() {
      epoch++;
    },
  };
  const refetch = createPresenceRefetch({ store, requests, random });
  store.onRoomChange((room, before, after) => {
    if (before.membersStatus !== after.membersStatus) refetch.roomChanged(room, before, after);
  });
  store.addRoom(ROOM);
  store.updateRoom(ROOM, {
    type: 'join',
    me: ana.id,
    result: joinAnswer([stored(1)], {
      room: info({ lastSeq: 1, presence: 'count', memberCount: 120 }),
      members: [ana],
    }),
  });
  const updated = (presence: 'members' | 'count', memberCount: number) => {
    const payload: ServerPayloadOf<'room:updated'> = {
      room: ROOM,
      topic: null,
      memberCount,
      visibility: 'public',
      readOnly: false,
      presence,
    };
    store.updateRoom(ROOM, { type: 'room:updated', payload });
  };
  return {
    store,
    asked,
    refetch,
    requests,
    updated,
    answerWith(next: typeof answer) {
      answer = next;
    },
    room: () => store.get().rooms[ROOM],
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the member list fetched again when a room comes back to members presence', () => {
  it('waits the random delay, walks every page, and the list is live', async () => {
    const t = setup({ random: () => 0.3 });
    t.answerWith(async ({ cursor }) =>
      cursor
        ? { ok: true, members: [bo, cy], nextCursor: null, memberCount: 3 }
        : { ok: true, members: [ana, bo], nextCursor: 'next', memberCount: 3 },
    );
    t.updated('members', 3);
    expect(t.room()?.membersStatus).toBe('stale');
    await vi.advanceTimersByTimeAsync(299);
    expect(t.asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.asked).toEqual([
      { room: ROOM, limit: 100 },
      { room: ROOM, cursor: 'next', limit: 100 },
    ]);
    expect(t.room()?.membersStatus).toBe('live');
    expect(t.room()?.members).toEqual([ana, bo, cy]);
  });

  it('asks nothing when the room goes back to count before the delay is over', async () => {
    const t = setup({ random: () => 0.9 });
    t.updated('members', 100);
    await vi.advanceTimersByTimeAsync(500);
    t.updated('count', 101);
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.asked).toEqual([]);
    expect(t.room()?.membersStatus).toBe('sample');
  });

  it('a room flapping at the threshold asks once, after it settles', async () => {
    const t = setup({ random: () => 0.5 });
    for (let i = 0; i < 10; i++) {
      t.updated('members', 100);
      await vi.advanceTimersByTimeAsync(200);
      t.updated('count', 101);
      await vi.advanceTimersByTimeAsync(200);
    }
    t.updated('members', 100);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.asked).toHaveLength(1);
    expect(t.room()?.membersStatus).toBe('live');
  });

  it('does not use an answer of a fetch overtaken by a flip to count and back', async () => {
    const t = setup({ random: () => 0 });
    let release: (() => void) | undefined;
    t.answerWith(
      (payload) =>
        new Promise((resolve) => {
          const members = t.asked.length === 1 ? [ana] : [ana, bo, cy];
          release = () => resolve({ ok: true, members, nextCursor: null, memberCount: 3 });
          void payload;
        }),
    );
    t.updated('members', 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.asked).toHaveLength(1);
    const first = release;
    t.updated('count', 200);
    t.updated('members', 3);
    await vi.advanceTimersByTimeAsync(0);
    // One fetch at a time: the second waits for the first.
    expect(t.asked).toHaveLength(1);
    first?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.asked).toHaveLength(2);
    expect(t.room()?.membersStatus).toBe('stale');
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.room()?.membersStatus).toBe('live');
    expect(t.room()?.members).toEqual([ana, bo, cy]);
  });

  it('tries a failed fetch again, later', async () => {
    const t = setup({ random: () => 0 });
    let failures = 1;
    t.answerWith(async () =>
      failures-- > 0
        ? fail(ErrorCode.RateLimited, 'slow down')
        : { ok: true, members: [ana, bo], nextCursor: null, memberCount: 2 },
    );
    t.updated('members', 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.asked).toHaveLength(1);
    expect(t.room()?.membersStatus).toBe('stale');
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.asked).toHaveLength(2);
    expect(t.room()?.members).toEqual([ana, bo]);
    expect(t.room()?.membersStatus).toBe('live');
  });

  it('drops the answer of a lost connection, and the refetch waiting', async () => {
    const t = setup({ random: () => 0.5 });
    t.updated('members', 2);
    t.requests.connectionLost();
    t.refetch.forgetConnection();
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.asked).toEqual([]);
  });

  it('does not fetch for a room no longer joined', async () => {
    const t = setup({ random: () => 0.5 });
    t.updated('members', 2);
    t.store.updateRoom(ROOM, { type: 'disconnected' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.asked).toEqual([]);
  });

  it('lists a page on demand', async () => {
    const t = setup();
    const result = await t.refetch.list(ROOM, { cursor: 'abc', limit: 10 });
    expect(t.asked).toEqual([{ room: ROOM, cursor: 'abc', limit: 10 }]);
    expect(result).toMatchObject({ ok: true, memberCount: 3 });
  });
});
