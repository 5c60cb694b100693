import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import {
  call,
  collect,
  disconnectHandled,
  messagesOf,
  nextEvent,
  settle,
  sleep,
  type TestServer,
} from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/** Every single-node behaviour, with the users on two different nodes sharing one Redis. */
let redis: TestRedis;
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
beforeEach(async () => {
  [a, b] = (await startCluster(redis.url, 2)) as [TestServer, TestServer];
});
afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
});

async function anaOnAAndBoOnB(room = 'general') {
  const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
  const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
  await call(ana, 'room:join', { room });
  await call(bo, 'room:join', { room });
  return { ana, bo };
}

describe('across nodes', () => {
  it('two users on different nodes chat both ways with one seq', async () => {
    const { ana, bo } = await anaOnAAndBoOnB();
    const atBo = nextEvent(bo, 'message:new');
    const sent = await call(ana, 'message:send', {
      room: 'general',
      text: 'hi',
      clientMsgId: 'm1',
    });
    expect(sent.message.seq).toBe(1);
    expect(await atBo).toEqual(sent.message);
    const atAna = nextEvent(ana, 'message:new');
    const reply = await call(bo, 'message:send', {
      room: 'general',
      text: 'yo',
      clientMsgId: 'm1',
    });
    expect(reply.message.seq).toBe(2);
    expect(await atAna).toEqual(reply.message);
  });

  it('the sender gets its message in the ack only; its tab on the other node gets the broadcast', async () => {
    const anaToken = await a.token('Ana', { sub: 'ana' });
    const tabA = await a.connect('acme', anaToken);
    const tabB = await b.connect('acme', anaToken);
    await call(tabA, 'room:join', { room: 'general' });
    await call(tabB, 'room:join', { room: 'general' });
    const atTabA = collect(tabA, 'message:new');
    const atTabB = nextEvent(tabB, 'message:new');
    const sent = await call(tabA, 'message:send', { room: 'general', text: 'x', clientMsgId: 'c' });
    expect(await atTabB).toEqual(sent.message);
    // Node A hears the room's entries from Redis, in seq order: the next one is the sentinel.
    const sentinel = nextEvent(tabA, 'message:new', (m) => m.text === 'sentinel');
    await call(tabB, 'message:send', { room: 'general', text: 'sentinel', clientMsgId: 's' });
    await sentinel;
    expect(atTabA.map((m) => m.text)).toEqual(['sentinel']);
  });

  it('presence crosses nodes; a user with tabs on both nodes is one member', async () => {
    const watcher = await b.connect('acme', await b.token('W', { sub: 'w' }));
    await call(watcher, 'room:join', { room: 'general' });
    // Cy, on A as well, is there to leave: her departure is the sentinel below.
    const cy = await a.connect('acme', await a.token('Cy', { sub: 'cy' }));
    const cyArrived = nextEvent(watcher, 'presence:joined');
    await call(cy, 'room:join', { room: 'general' });
    await cyArrived;
    const joined = collect(watcher, 'presence:joined');
    const left = collect(watcher, 'presence:left');
    const anaToken = await a.token('Ana', { sub: 'ana' });
    const tabA = await a.connect('acme', anaToken);
    const tabB = await b.connect('acme', anaToken);
    const announced = nextEvent(watcher, 'presence:joined');
    await call(tabA, 'room:join', { room: 'general' });
    expect(await announced).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    await call(tabB, 'room:join', { room: 'general' });
    const seen = await call(watcher, 'room:join', { room: 'general' });
    expect(seen.members.map((m) => m.id).sort()).toEqual(['ana', 'cy', 'w']);
    expect(seen.room.memberCount).toBe(3);

    // Node A has handled tab A's close (its presence cleanup under way) before Cy leaves there:
    // her departure takes the same path behind it (A's presence store on one connection to
    // Redis, then A's adapter), so an announcement of Ana's would reach the watcher first.
    await disconnectHandled(a, tabA);
    const cyLeft = nextEvent(watcher, 'presence:left');
    await call(cy, 'room:leave', { room: 'general' });
    expect(await cyLeft).toEqual({ room: 'general', member: { id: 'cy', name: 'Cy' } });
    expect(left).toEqual([{ room: 'general', member: { id: 'cy', name: 'Cy' } }]);
    const gone = nextEvent(watcher, 'presence:left');
    tabB.disconnect();
    expect(await gone).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    expect(joined).toHaveLength(1);
  });

  it("one node's batched presence never overtakes the user's later change on another node", async () => {
    // Whom Bo (on B) sees in each room, from the presence events he hears, in order.
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    const seen = new Map<string, Set<string>>();
    const room = (name: string) =>
      seen.get(name) ?? seen.set(name, new Set()).get(name) ?? new Set();
    bo.on('presence:joined', ({ room: name, member }) => room(name).add(member.id));
    bo.on('presence:left', ({ room: name, member }) => room(name).delete(member.id));
    bo.on('presence:changed', ({ room: name, joined, left }) => {
      for (const member of left) room(name).delete(member.id);
      for (const member of joined) room(name).add(member.id);
    });
    for (const name of ['general', 'side']) await call(bo, 'room:join', { room: name });
    const user = async (node: TestServer, name: string, rooms: string[]) => {
      const socket = await node.connect(
        'acme',
        await node.token(name, { sub: name.toLowerCase() }),
      );
      for (const name of rooms) await call(socket, 'room:join', { room: name });
      return socket;
    };
    const cy = await user(a, 'Cy', ['general', 'side']);
    const ana = await user(a, 'Ana', ['general']);
    const dee = await user(a, 'Dee', []);
    const deeOnB = await user(b, 'Dee', []);
    await expect.poll(() => [...room('general')].sort()).toEqual(['ana', 'cy']);
    await expect.poll(() => [...room('side')].sort()).toEqual(['cy']);
    // Both nodes' windows closed (ROOM_ANNOUNCE_INTERVAL_MS, 200 ms): a room's next change goes
    // out at once; on A, Cy's leaving is that, and opens A's window for the rest.
    await sleep(400);
    for (const name of ['general', 'side']) await call(cy, 'room:leave', { room: name });
    // general: Ana leaves on A (waits for A's window), and is back on B (out at once).
    await call(ana, 'room:leave', { room: 'general' });
    const anaOnB = await user(b, 'Ana', ['general']);
    // side: Dee arrives on A (waits for A's window), and his last connection there, on B, leaves
    // (out at once).
    await call(dee, 'room:join', { room: 'side' });
    await call(deeOnB, 'room:join', { room: 'side' });
    await call(dee, 'room:leave', { room: 'side' });
    await call(deeOnB, 'room:leave', { room: 'side' });
    // A sentinel behind A's window: Eve arrives on A after whatever A still had to send.
    await sleep(400);
    await user(a, 'Eve', ['general', 'side']);
    await expect.poll(() => room('side').has('eve') && room('general').has('eve')).toBe(true);
    expect([...room('general')].sort()).toEqual(['ana', 'eve']);
    expect([...room('side')].sort()).toEqual(['eve']);
    expect(anaOnB.connected).toBe(true);
  });

  it('typing crosses nodes', async () => {
    const { ana, bo } = await anaOnAAndBoOnB();
    const typing = nextEvent(bo, 'typing:changed');
    ana.emit('typing:set', { room: 'general', typing: true });
    expect(await typing).toEqual({
      room: 'general',
      user: { id: 'ana', name: 'Ana' },
      typing: true,
    });
    const cleared = nextEvent(bo, 'typing:changed', (e) => !e.typing);
    await call(ana, 'message:send', { room: 'general', text: 'sent', clientMsgId: 'x' });
    await cleared;
  });

  it('room counts: room:updated reaches lobbies on the other node, room:list counts every node', async () => {
    const lobby = await b.connect('acme', await b.token('Lobby'));
    await call(lobby, 'room:list', {}); // a lobby: it hears every room's count
    const updated = nextEvent(lobby, 'room:updated', (u) => u.room === 'design');
    const ana = await a.connect('acme', await a.token('Ana'));
    await call(ana, 'room:join', { room: 'design' });
    expect(await updated).toEqual({
      room: 'design',
      topic: null,
      memberCount: 1,
      visibility: 'public',
      readOnly: false,
      presence: 'members',
    });
    const bo = await b.connect('acme', await b.token('Bo'));
    await call(bo, 'room:join', { room: 'design' });
    await call(ana, 'room:join', { room: 'quiet' });
    expect((await call(lobby, 'room:list', {})).rooms).toEqual([
      { name: 'design', topic: null, memberCount: 2, visibility: 'public', readOnly: false },
      { name: 'quiet', topic: null, memberCount: 1, visibility: 'public', readOnly: false },
    ]);
    const emptied = nextEvent(
      lobby,
      'room:updated',
      (u) => u.room === 'quiet' && u.memberCount === 0,
    );
    ana.disconnect();
    await emptied;
  });

  it("lobbies end on a room's true count when it changed on both nodes within a lobby interval", async () => {
    const lobby = await b.connect('acme', await b.token('Lobby'));
    await call(lobby, 'room:list', {});
    const counts: number[] = [];
    lobby.on('room:updated', (u) => u.room === 'busy' && counts.push(u.memberCount));
    const joinOn = async (node: TestServer, name: string) => {
      const socket = await node.connect('acme', await node.token(name));
      await call(socket, 'room:join', { room: 'busy' });
    };
    // On A: the first count goes out at once and opens A's lobby interval (1 s); the next one,
    // 2, is held until its end.
    await joinOn(a, 'Ana');
    await joinOn(a, 'Ann');
    // After A's room window (200 ms) read that 2, B has a third arrive: B's lobby count, 3,
    // goes out at once.
    await sleep(300);
    await joinOn(b, 'Bo');
    await expect.poll(() => counts.at(-1)).toBe(3);
    // At the end of A's interval, what A held for the lobby goes out, read again when it is
    // sent: a second 3, not the 2 it read before Bo came (which would come instead, and last).
    await expect
      .poll(() => counts.filter((count) => count === 3).length, { timeout: 5000 })
      .toBe(2);
    expect(counts.at(-1)).toBe(3);
    expect((await call(lobby, 'room:list', {})).rooms).toMatchObject([
      { name: 'busy', memberCount: 3 },
    ]);
  });

  it('history written on one node pages backwards on the other', async () => {
    const { ana, bo } = await anaOnAAndBoOnB();
    for (let i = 1; i <= 30; i++) {
      await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` });
    }
    const latest = await call(bo, 'message:history', { room: 'general', limit: 20 });
    expect(latest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect(latest.hasMore).toBe(true);
    const older = await call(bo, 'message:history', { room: 'general', before: 11, limit: 20 });
    expect(messagesOf(older.messages).map((m) => m.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i + 1}`),
    );
    expect(older.hasMore).toBe(false);
  });

  it('since recovery after reconnecting to the other node gives exactly what was missed', async () => {
    const anaToken = await a.token('Ana', { sub: 'ana' });
    let ana = await a.connect('acme', anaToken);
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    for (let i = 1; i <= 3; i++) {
      await call(bo, 'message:send', {
        room: 'general',
        text: `before ${i}`,
        clientMsgId: `b${i}`,
      });
    }
    await settle(ana);
    ana.disconnect();
    for (let i = 1; i <= 4; i++) {
      await call(bo, 'message:send', {
        room: 'general',
        text: `missed ${i}`,
        clientMsgId: `m${i}`,
      });
    }
    ana = await b.connect('acme', anaToken);
    const rejoined = await call(ana, 'room:join', { room: 'general', since: 3 });
    expect(rejoined.recovered).toBe(true);
    expect(messagesOf(rejoined.messages).map((m) => [m.seq, m.text])).toEqual([
      [4, 'missed 1'],
      [5, 'missed 2'],
      [6, 'missed 3'],
      [7, 'missed 4'],
    ]);
  });

  it('a retry landing on the other node answers the original and broadcasts nothing', async () => {
    const anaToken = await a.token('Ana', { sub: 'ana' });
    const onA = await a.connect('acme', anaToken);
    const onB = await b.connect('acme', anaToken);
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    for (const socket of [onA, onB, bo]) await call(socket, 'room:join', { room: 'general' });
    const atBo = collect(bo, 'message:new');
    const first = await call(onA, 'message:send', {
      room: 'general',
      text: 'once',
      clientMsgId: 'r1',
    });
    const retry = await call(onB, 'message:send', {
      room: 'general',
      text: 'once',
      clientMsgId: 'r1',
    });
    expect(retry.message).toEqual(first.message);
    // The sentinel, from the node that answered the retry: Bo gets the room's entries in seq
    // order, so a broadcast of the retry would have reached him before it.
    const sentinel = nextEvent(bo, 'message:new', (m) => m.text === 'sentinel');
    await call(onB, 'message:send', { room: 'general', text: 'sentinel', clientMsgId: 's' });
    expect((await sentinel).seq).toBe(2);
    expect(atBo.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('workspaces stay apart across nodes', async () => {
    const inAcme = await a.connect('acme', await a.token('Ana'));
    const inOther = await b.connect('other', await b.token('Bo'));
    const otherLobby = await b.connect('other', await b.token('Cy'));
    // Dee is in the other workspace on A, the node acme's events start from: the sentinels.
    const deeOnA = await a.connect('other', await a.token('Dee'));
    await call(otherLobby, 'room:list', {}); // a lobby: it hears every public room's count
    await call(inAcme, 'room:join', { room: 'general' });
    const heard = collect(inOther, 'message:new');
    // Its own count for other/general first, once the coalescing interval is over.
    const ownCount = nextEvent(otherLobby, 'room:updated');
    await call(inOther, 'room:join', { room: 'general' });
    expect(await ownCount).toMatchObject({ room: 'general', memberCount: 1 });
    const otherUpdates = collect(otherLobby, 'room:updated');
    await call(inAcme, 'message:send', { room: 'general', text: 'acme only', clientMsgId: 'a' });
    await call(inAcme, 'room:join', { room: 'secret' });
    // Dee joins other/general on A and says something there: her count goes out after acme's
    // (same node: acme's rooms were announced, their figures read and published on the same
    // Redis connections, before her join began), her message after acme's (one seq ordered feed
    // of stored entries, published after it).
    const deeCounted = nextEvent(otherLobby, 'room:updated', (u) => u.memberCount === 2);
    const deeHeard = nextEvent(inOther, 'message:new');
    await call(deeOnA, 'room:join', { room: 'general' });
    await call(deeOnA, 'message:send', { room: 'general', text: 'other only', clientMsgId: 'd' });
    await Promise.all([deeCounted, deeHeard]);
    expect(otherUpdates).toEqual([
      {
        room: 'general',
        topic: null,
        memberCount: 2,
        visibility: 'public',
        readOnly: false,
        presence: 'members',
      },
    ]);
    expect(heard.map((m) => m.text)).toEqual(['other only']);
    expect((await call(otherLobby, 'room:list', {})).rooms.map((r) => r.name)).toEqual(['general']);
    const inOtherHistory = await call(inOther, 'message:history', { room: 'general' });
    expect(messagesOf(inOtherHistory.messages).map((m) => m.text)).toEqual(['other only']);
  });
});
