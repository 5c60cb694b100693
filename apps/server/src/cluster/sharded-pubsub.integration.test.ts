import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, nextEvent, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

let redis: TestRedis;
let nodes: TestServer[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(nodes.map((node) => node.close()));
});
afterAll(() => redis.stop());

describe('with REDIS_SHARDED_PUBSUB (Redis 7: SSUBSCRIBE / SPUBLISH)', () => {
  it('messages, presence, typing and lobby counts still cross nodes', async () => {
    nodes = await startCluster(redis.url, 2, { REDIS_SHARDED_PUBSUB: 'true' });
    const [a, b] = nodes as [TestServer, TestServer];
    const lobby = await b.connect('acme', await b.token('Lobby'));
    await call(lobby, 'room:list', {}); // a lobby: it hears every room's count
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(bo, 'room:join', { room: 'general' });
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const joined = nextEvent(bo, 'presence:joined');
    const counted = nextEvent(lobby, 'room:updated', (u) => u.memberCount === 2);
    await call(ana, 'room:join', { room: 'general' });
    expect(await joined).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    await counted;
    const typing = nextEvent(bo, 'typing:changed');
    ana.emit('typing:set', { room: 'general', typing: true });
    await typing;
    const atBo = nextEvent(bo, 'message:new');
    const sent = await call(ana, 'message:send', { room: 'general', text: 'hi', clientMsgId: 'x' });
    expect(await atBo).toEqual(sent.message);
  });
});

describe('a node shutting down gracefully', () => {
  it('does not wait for its users: those who do not come back are announced by a sweep when the restart grace ends', async () => {
    // The restart's grace is PRESENCE_TTL_SECONDS (the sweeps run every sixth of it).
    nodes = await startCluster(redis.url, 2, { PRESENCE_TTL_SECONDS: '3' });
    const [a, b] = nodes as [TestServer, TestServer];
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    const departures: string[] = [];
    bo.on('presence:left', (event) => departures.push(event.member.id));
    const left = nextEvent(bo, 'presence:left', () => true, 15_000);
    await a.server.close(); // the node's own shutdown, with Ana still connected (she stays away)
    expect(await left).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    expect((await call(bo, 'room:join', { room: 'general' })).members).toEqual([
      { id: 'bo', name: 'Bo' },
    ]);
    // Announced once: a later arrival, announced after anything the sweeps had to say.
    const cy = await b.connect('acme', await b.token('Cy', { sub: 'cy' }));
    const arrived = nextEvent(bo, 'presence:joined', (event) => event.member.id === 'cy');
    await call(cy, 'room:join', { room: 'general' });
    await arrived;
    expect(departures).toEqual(['ana']);
  });
});
