import { ErrorCode, type Member, type ServerPayloadOf } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { call, collect, nextEvent, settle, startServer, type TestServer } from '../../test/helpers';
import { type SentSegments, segmentsSent } from '../../test/tcp-segments';

/** ROOM_ANNOUNCE_INTERVAL_MS in server.ts: presence and counts go out once per window per room. */
const WINDOW_MS = 200;

let t: TestServer;
afterEach(() => t.close());

async function joined(name: string, room = 'hall') {
  const socket = await t.connect('acme', await t.token(name, { sub: name.toLowerCase() }));
  const answer = await call(socket, 'room:join', { room });
  return { socket, answer };
}

type PresenceFrame =
  | { event: 'presence:joined' | 'presence:left'; payload: ServerPayloadOf<'presence:joined'> }
  | { event: 'presence:changed'; payload: ServerPayloadOf<'presence:changed'> };

/** Every presence frame a socket gets, in order, and who it says is there after each. */
function presenceFrames(socket: Awaited<ReturnType<typeof joined>>['socket']) {
  const frames: PresenceFrame[] = [];
  socket.on('presence:joined', (payload) => frames.push({ event: 'presence:joined', payload }));
  socket.on('presence:left', (payload) => frames.push({ event: 'presence:left', payload }));
  socket.on('presence:changed', (payload) => frames.push({ event: 'presence:changed', payload }));
  return frames;
}

/** Applies presence frames to a list, as a client does: `left`, then `joined`, by id. */
function apply(start: readonly Member[], frames: readonly PresenceFrame[]): string[] {
  const present = new Map(start.map((member) => [member.id, member]));
  for (const frame of frames) {
    if (frame.event === 'presence:changed') {
      for (const member of frame.payload.left) present.delete(member.id);
      for (const member of frame.payload.joined) present.set(member.id, member);
    } else if (frame.event === 'presence:joined') {
      present.set(frame.payload.member.id, frame.payload.member);
    } else present.delete(frame.payload.member.id);
  }
  return [...present.keys()].sort();
}

describe('presence in a room of a few', () => {
  it('a lone arrival or departure is the v1 event, and the one arriving is not told of itself', async () => {
    t = await startServer();
    const ann = await joined('Ann');
    const frames = presenceFrames(ann.socket);
    expect(ann.answer.room.presence).toBe('members');

    const bobArrives = nextEvent(ann.socket, 'presence:joined');
    const bob = await joined('Bob');
    const bobFrames = presenceFrames(bob.socket);
    expect(await bobArrives).toEqual({ room: 'hall', member: { id: 'bob', name: 'Bob' } });
    expect(bob.answer.members.map((member) => member.id).sort()).toEqual(['ann', 'bob']);

    const bobLeaves = nextEvent(ann.socket, 'presence:left');
    await call(bob.socket, 'room:leave', { room: 'hall' });
    expect(await bobLeaves).toEqual({ room: 'hall', member: { id: 'bob', name: 'Bob' } });
    // Bob's own arrival never reached him: it went out before his leave's window, as did the rest.
    await settle(bob.socket);
    expect(bobFrames).toEqual([]);
    expect(frames.map((frame) => frame.event)).toEqual(['presence:joined', 'presence:left']);
  });

  it('a burst within one window is one presence:changed; a list kept from the events is always right', async () => {
    t = await startServer();
    const ann = await joined('Ann');
    const frames = presenceFrames(ann.socket);
    const names = Array.from({ length: 12 }, (_, i) => `User${i}`);

    const started = performance.now();
    const burst = await Promise.all(names.map((name) => joined(name)));
    const elapsed = performance.now() - started;
    // Two leave again at once, inside the burst's window or the next.
    await Promise.all(
      burst.slice(0, 2).map(({ socket }) => call(socket, 'room:leave', { room: 'hall' })),
    );
    const expected = ['ann', ...names.slice(2).map((name) => name.toLowerCase())].sort();

    await expect.poll(() => apply(ann.answer.members, frames)).toEqual(expected);
    // Every change in few frames: at most one per window the changes spanned (the first change
    // of a quiet room goes at once, the rest at its window's end), plus those two.
    const span = performance.now() - started;
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(span / WINDOW_MS) + 2);
    // Unless the machine was slow, the burst fits in a window or two: a few frames for 14 changes.
    if (elapsed < WINDOW_MS) {
      expect(frames.length).toBeLessThanOrEqual(3);
      expect(frames.some((frame) => frame.event === 'presence:changed')).toBe(true);
    }
    for (const frame of frames) {
      if (frame.event !== 'presence:changed') continue;
      // Where each user ended up: nobody twice in one event.
      const ids = [...frame.payload.joined, ...frame.payload.left].map((member) => member.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThan(1);
    }
  });
});

describe('presence in a big room (past PRESENCE_MEMBERS_MAX)', () => {
  it('sends only the count, says so, pages through who is there, and comes back to members below it', async () => {
    t = await startServer({ PRESENCE_MEMBERS_MAX: '3' });
    const ann = await joined('Ann');
    const frames = presenceFrames(ann.socket);
    const updates = collect(ann.socket, 'room:updated');
    const others = [];
    for (const name of ['Bob', 'Cat', 'Dan']) others.push(await joined(name));
    const big = await nextEvent(ann.socket, 'room:updated', (update) => update.memberCount === 4);
    expect(big.presence).toBe('count');
    const dan = others[2];
    expect(dan?.answer.room).toMatchObject({ presence: 'count', memberCount: 4 });

    // From here on, nobody is told of arrivals or departures, only of the count: a presence
    // event would go out in the same flush, before the count that follows the change.
    const before = frames.length;
    const eve = await joined('Eve');
    await nextEvent(ann.socket, 'room:updated', (update) => update.memberCount === 5);
    await call(eve.socket, 'room:leave', { room: 'hall' });
    await nextEvent(ann.socket, 'room:updated', (update) => update.memberCount === 4);
    expect(frames.length).toBe(before);

    // Who is there, on demand, a page at a time.
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(ann.socket, 'presence:list', { room: 'hall', limit: 1, cursor });
      for (const member of page.members) seen.add(member.id);
      expect(page.memberCount).toBe(4);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect([...seen].sort()).toEqual(['ann', 'bob', 'cat', 'dan']);
    expect(pages).toBe(4);

    // Below the threshold again: members presence, said by the count that crosses it.
    await call(dan?.socket as never, 'room:leave', { room: 'hall' });
    const small = await nextEvent(ann.socket, 'room:updated', (update) => update.memberCount === 3);
    expect(small.presence).toBe('members');
    expect(
      updates.every((update) => update.presence === (update.memberCount > 3 ? 'count' : 'members')),
    ).toBe(true);
  });

  it('PRESENCE_MEMBERS_MAX=0 sends no arrivals or departures at all', async () => {
    t = await startServer({ PRESENCE_MEMBERS_MAX: '0' });
    const ann = await joined('Ann');
    expect(ann.answer.room.presence).toBe('count');
    const frames = presenceFrames(ann.socket);
    const bob = await joined('Bob');
    await nextEvent(ann.socket, 'room:updated', (update) => update.memberCount === 2);
    await call(bob.socket, 'room:leave', { room: 'hall' });
    await nextEvent(ann.socket, 'room:updated', (update) => update.memberCount === 1);
    expect(frames).toEqual([]);
  });
});

describe('presence:list', () => {
  it('answers not_joined for a room the socket is not in, and a cursor it never gave is invalid_payload or a position', async () => {
    t = await startServer();
    const ann = await joined('Ann');
    const outside = await request(ann.socket, 'presence:list', { room: 'elsewhere' }, 3000);
    expect(outside).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } });
    const made = await request(ann.socket, 'presence:list', { room: 'hall', cursor: 'Zm9v' }, 3000);
    // In memory a cursor is a position by user id: any well-formed one answers a page.
    expect(made.ok).toBe(true);
  });

  it('answers every payload with a typed result, and a walk still finds everyone after', async () => {
    t = await startServer({ RATE_EVENTS_PER_SECOND: '100000', RATE_EVENTS_BURST: '100000' });
    const ann = await joined('Ann');
    await joined('Bob');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record(
            {
              room: fc.oneof(fc.constant('hall'), fc.string({ unit: 'binary' })),
              cursor: fc.oneof(
                fc.string({ unit: 'binary', maxLength: 2000 }),
                fc.base64String(),
                fc.integer(),
              ),
              limit: fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.string()),
            },
            { requiredKeys: [] },
          ),
          fc.anything({ maxDepth: 4 }),
        ),
        async (payload) => {
          const result = (await request(ann.socket, 'presence:list', payload as never, 3000)) as {
            ok: boolean;
            error?: { code: string };
            members?: Member[];
          };
          if (result.ok) expect(Array.isArray(result.members)).toBe(true);
          else {
            expect([ErrorCode.InvalidPayload, ErrorCode.NotJoined]).toContain(result.error?.code);
          }
        },
      ),
      { numRuns: 150 },
    );
    const all = await call(ann.socket, 'presence:list', { room: 'hall' });
    expect(all.members.map((member) => member.id).sort()).toEqual(['ann', 'bob']);
    expect(all.nextCursor).toBeNull();
  });
});

describe.runIf(process.platform === 'linux')('a presence update on the wire', () => {
  it("reaches a member in one TCP segment: who came and the room's figures together", async () => {
    t = await startServer({ FAST_PATH: 'true' });
    const port = Number(new URL(t.url).port);
    const ann = await t.connect('acme', await t.token('Ann', { sub: 'ann' }));
    // Her own arrival: the room's figures, sent at once (nothing of it is on its way after).
    const ownFigures = nextEvent(ann, 'room:updated');
    await call(ann, 'room:join', { room: 'hall' });
    await ownFigures;
    const connections = segmentsSent(port);
    expect(connections).toHaveLength(1);
    const annConnection = connections[0] as SentSegments;

    const arrival = nextEvent(ann, 'presence:joined');
    const figures = nextEvent(ann, 'room:updated');
    await joined('Bob');
    expect((await arrival).member.id).toBe('bob');
    expect((await figures).memberCount).toBe(2);

    const after = segmentsSent(port).find(
      (connection) => connection.peerPort === annConnection.peerPort,
    );
    expect((after?.dataSegmentsOut ?? 0) - annConnection.dataSegmentsOut).toBe(1);
  });
});
