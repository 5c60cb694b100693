import { request } from '@parley/protocol/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, collect, messagesOf, nextEvent, settle, type TestServer } from '../../test/helpers';
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
    await settle(tabA);
    expect(atTabA).toEqual([]);
  });

  it('presence crosses nodes; a user with tabs on both nodes is one member', async () => {
    const watcher = await b.connect('acme', await b.token('W', { sub: 'w' }));
    await call(watcher, 'room:join', { room: 'general' });
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
    expect(seen.members.map((m) => m.id).sort()).toEqual(['ana', 'w']);
    expect(seen.room.memberCount).toBe(2);

    tabA.disconnect();
    await settle(watcher);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(left).toEqual([]);
    const gone = nextEvent(watcher, 'presence:left');
    tabB.disconnect();
    expect(await gone).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    expect(joined).toHaveLength(1);
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
    await settle(bo, onA);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(atBo.map((m) => m.seq)).toEqual([1]);
    expect((await call(bo, 'room:join', { room: 'general' })).room.lastSeq).toBe(1);
  });

  it('workspaces stay apart across nodes', async () => {
    const inAcme = await a.connect('acme', await a.token('Ana'));
    const inOther = await b.connect('other', await b.token('Bo'));
    const otherLobby = await b.connect('other', await b.token('Cy'));
    await call(inAcme, 'room:join', { room: 'general' });
    const heard = [
      ...collect(inOther, 'message:new'),
      ...collect(otherLobby, 'room:updated'),
      ...collect(otherLobby, 'presence:joined'),
    ];
    await call(inOther, 'room:join', { room: 'general' });
    await settle(otherLobby); // its own room:updated for other/general has landed
    const otherUpdates = collect(otherLobby, 'room:updated');
    await call(inAcme, 'message:send', { room: 'general', text: 'acme only', clientMsgId: 'a' });
    await call(inAcme, 'room:join', { room: 'secret' });
    await settle(inOther, otherLobby);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(otherUpdates).toEqual([]);
    expect(heard.filter((e) => 'text' in e)).toEqual([]);
    expect((await call(otherLobby, 'room:list', {})).rooms.map((r) => r.name)).toEqual(['general']);
    const inOtherHistory = await request(inOther, 'message:history', { room: 'general' });
    expect(inOtherHistory).toMatchObject({ ok: true, messages: [] });
  });
});
