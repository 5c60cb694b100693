import { request } from '@parley/protocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, nextEvent, settle, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis, uniquePrefix } from '../../test/redis';

/** Removals and bans, with the moderator on one node and the removed user's tabs on both. */
let redis: TestRedis;
let nodes: TestServer[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
afterEach(async () => {
  await Promise.all(nodes.map((node) => node.close()));
  nodes = [];
});

async function twoNodes(prefix = uniquePrefix()) {
  nodes = await startCluster(redis.url, 2, { REDIS_KEY_PREFIX: prefix });
  const [a, b] = nodes as [TestServer, TestServer];
  const owner = await a.connect('acme', await a.token('Owner', { sub: 'owner' }));
  const boToken = await b.token('Bo', { sub: 'bo' });
  const boOnA = await a.connect('acme', boToken);
  const boOnB = await b.connect('acme', boToken);
  const witness = await b.connect('acme', await b.token('Cy', { sub: 'cy' }));
  await call(owner, 'room:create', { room: 'vault', visibility: 'private' });
  await call(owner, 'member:add', { room: 'vault', userId: 'bo' });
  await call(owner, 'member:add', { room: 'vault', userId: 'cy' });
  for (const socket of [owner, boOnA, boOnB, witness]) {
    await call(socket, 'room:join', { room: 'vault' });
  }
  return { a, b, owner, boOnA, boOnB, witness, boToken, prefix };
}

describe('removing someone from a room', () => {
  it('takes every tab of theirs out of it on every node at once, and tells them why', async () => {
    const { owner, boOnA, boOnB, witness } = await twoNodes();
    const removedA = nextEvent(boOnA, 'room:removed');
    const removedB = nextEvent(boOnB, 'room:removed');
    const left = nextEvent(witness, 'presence:left', (e) => e.member.id === 'bo');
    await call(owner, 'member:remove', { room: 'vault', userId: 'bo' });
    // Both tabs, and the others, are told at once: nothing else would ever tell the tab on the
    // other node (no sweep, no expiry), so hearing it at all within the waits above is the proof
    // (no tighter deadline: a loaded machine may take a moment).
    expect(await removedA).toEqual({ room: 'vault', reason: 'removed' });
    expect(await removedB).toEqual({ room: 'vault', reason: 'removed' });
    expect(await left).toMatchObject({ room: 'vault', member: { id: 'bo' } });
    // Out of the room: nothing more reaches them, and a private room does not let them back.
    for (const tab of [boOnA, boOnB]) {
      expect(
        await request(tab, 'message:send', { room: 'vault', text: 'x', clientMsgId: 'x' }),
      ).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      expect(await request(tab, 'room:join', { room: 'vault' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    expect(
      (await call(witness, 'member:list', { room: 'vault' })).members.map((m) => m.id),
    ).not.toContain('bo');
  });

  it('with a ban, refuses them in a public room too until it ends, also after every node restarts', async () => {
    const prefix = uniquePrefix();
    const first = await twoNodes(prefix);
    await call(first.owner, 'room:create', { room: 'hall' });
    await call(first.owner, 'room:join', { room: 'hall' });
    await call(first.boOnA, 'room:join', { room: 'hall' });
    const banned = nextEvent(first.boOnA, 'room:removed', (e) => e.room === 'hall');
    await call(first.owner, 'member:remove', { room: 'hall', userId: 'bo', banSeconds: 3600 });
    const told = await banned;
    expect(told).toMatchObject({ room: 'hall', reason: 'banned' });
    expect(Date.parse(told.until ?? '')).toBeGreaterThan(Date.now() + 3500_000);
    // Every node goes away and comes back: the ban is in Redis, not in a node.
    await Promise.all(nodes.map((node) => node.close()));
    nodes = await startCluster(redis.url, 2, { REDIS_KEY_PREFIX: prefix });
    const [a, b] = nodes as [TestServer, TestServer];
    for (const node of [a, b]) {
      const bo = await node.connect('acme', await node.token('Bo', { sub: 'bo' }));
      expect(await request(bo, 'room:join', { room: 'hall' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: expect.stringMatching(/banned/) },
      });
    }
    // Adding them again lifts the ban.
    const owner = await a.connect('acme', await a.token('Owner', { sub: 'owner' }));
    await call(owner, 'member:add', { room: 'hall', userId: 'bo' });
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(bo, 'room:join', { room: 'hall' });
  });

  it('follows rank: a moderator removes members, never owners or other moderators', async () => {
    const { owner, b } = await twoNodes();
    await call(owner, 'member:add', { room: 'vault', userId: 'mod', role: 'moderator' });
    await call(owner, 'member:add', { room: 'vault', userId: 'mod2', role: 'moderator' });
    const mod = await b.connect('acme', await b.token('Mod', { sub: 'mod' }));
    const answer = (payload: { userId: string; role?: 'owner' | 'moderator' | 'member' }) =>
      request(mod, 'member:add', { room: 'vault', ...payload });
    expect(await request(mod, 'member:remove', { room: 'vault', userId: 'owner' })).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect(await request(mod, 'member:remove', { room: 'vault', userId: 'mod2' })).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect(await answer({ userId: 'dan', role: 'moderator' })).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect(await answer({ userId: 'dan' })).toMatchObject({ ok: true, member: { role: 'member' } });
    expect(await request(mod, 'member:remove', { room: 'vault', userId: 'dan' })).toMatchObject({
      ok: true,
    });
    await settle(mod);
  });

  it('changes a role everywhere at once: a moderator posts in a read-only room, a member does not', async () => {
    const { owner, boOnA, boOnB } = await twoNodes();
    await call(owner, 'room:update', { room: 'vault', readOnly: true });
    const send = (tab: typeof boOnA, id: string) =>
      request(tab, 'message:send', { room: 'vault', text: 'news', clientMsgId: id });
    expect(await send(boOnB, 'a')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await call(owner, 'member:add', { room: 'vault', userId: 'bo', role: 'moderator' });
    // The role change reaches both of Bo's connections, the one on the other node through Redis.
    expect(await send(boOnA, 'b')).toMatchObject({ ok: true });
    await expect.poll(async () => (await send(boOnB, 'c')).ok, { timeout: 5000 }).toBe(true);
  });

  it('tells every tab of a user that they were added or their role changed, joined or not', async () => {
    const { a, b, owner, boOnA, boOnB } = await twoNodes();
    // Dee is in the workspace on both nodes, in no room yet: her lobby learns of the room.
    const deeToken = await b.token('Dee', { sub: 'dee' });
    const deeOnA = await a.connect('acme', deeToken);
    const deeOnB = await b.connect('acme', deeToken);
    const told = [deeOnA, deeOnB].map((tab) => nextEvent(tab, 'room:role'));
    await call(owner, 'member:add', { room: 'vault', userId: 'dee' });
    for (const event of await Promise.all(told)) {
      expect(event).toEqual({
        room: 'vault',
        topic: null,
        memberCount: 3,
        visibility: 'private',
        readOnly: false,
        presence: 'members',
        role: 'member',
      });
    }
    expect((await call(deeOnB, 'room:list', {})).rooms.map((r) => r.name)).toContain('vault');

    const promoted = [boOnA, boOnB].map((tab) =>
      nextEvent(tab, 'room:role', (e) => e.room === 'vault'),
    );
    await call(owner, 'member:add', { room: 'vault', userId: 'bo', role: 'moderator' });
    for (const event of await Promise.all(promoted)) expect(event.role).toBe('moderator');
    // A moderator now: Bo adds members himself.
    await call(boOnB, 'member:add', { room: 'vault', userId: 'eve' });

    // An admin stays owner whatever is stored for them, and is told so.
    const admin = await b.connect('acme', await b.token('Ada', { sub: 'ada', admin: true }));
    await call(admin, 'room:join', { room: 'vault' });
    const adminTold = nextEvent(admin, 'room:role');
    await call(owner, 'member:add', { room: 'vault', userId: 'ada', role: 'member' });
    expect((await adminTold).role).toBe('owner');
    await call(admin, 'member:remove', { room: 'vault', userId: 'eve' });
  });
});
