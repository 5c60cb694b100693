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
  it('removes its users at once: the other node hears presence:left well before any TTL', async () => {
    nodes = await startCluster(redis.url, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    // Well before any TTL: within a sixth of it (5 s here, the sweep interval), where the
    // shutdown's own removal takes milliseconds — room to spare on a loaded machine.
    const boundMs = (b.config.presence.ttlSeconds * 1000) / 6;
    const left = nextEvent(bo, 'presence:left', () => true, boundMs);
    const started = Date.now();
    await a.server.close(); // the node's own shutdown, with Ana still connected
    expect(await left).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    expect(Date.now() - started).toBeLessThan(boundMs);
    expect((await call(bo, 'room:join', { room: 'general' })).members).toEqual([
      { id: 'bo', name: 'Bo' },
    ]);
  });
});
