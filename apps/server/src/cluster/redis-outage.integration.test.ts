import type { Message } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, nextEvent, sleep, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

let redis: TestRedis;
let nodes: TestServer[] = [];
beforeAll(async () => {
  // Persistent (append-only file, fsync on every write), as production should run it: a
  // restarted Redis still has every write it acknowledged.
  redis = await startRedis({ persistent: true });
});
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()));
  await redis.stop();
});

async function readyStatus(node: TestServer): Promise<number> {
  return (await fetch(`${node.url}/readyz`)).status;
}

describe('Redis killed and restarted mid-conversation', () => {
  it('answers unavailable while down, recovers by itself, and loses no acknowledged message', async () => {
    nodes = await startCluster(redis.url, 2, { REDIS_COMMAND_TIMEOUT_MS: '500' });
    const [a, b] = nodes as [TestServer, TestServer];
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    const acked: Message[] = [];
    for (let i = 1; i <= 3; i++) {
      acked.push(
        (await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `m${i}` }))
          .message,
      );
    }

    await redis.kill();
    const started = Date.now();
    const failed = await request(ana, 'message:send', {
      room: 'general',
      text: 'during the outage',
      clientMsgId: 'outage-1',
    });
    expect(failed).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await request(bo, 'room:list', {})).toMatchObject({ error: { code: 'unavailable' } });
    expect(await readyStatus(a)).toBe(503);
    expect(await readyStatus(b)).toBe(503);
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    expect(ana.connected && bo.connected).toBe(true);

    await redis.restart();
    const restartedAt = Date.now();
    while ((await readyStatus(a)) !== 200 || (await readyStatus(b)) !== 200) {
      expect(Date.now() - restartedAt).toBeLessThan(5000);
      await sleep(50);
    }

    // The client retries the send that failed, with the same clientMsgId.
    const atBo = nextEvent(bo, 'message:new', () => true, 5000);
    const retried = await call(ana, 'message:send', {
      room: 'general',
      text: 'during the outage',
      clientMsgId: 'outage-1',
    });
    expect(await atBo).toEqual(retried.message);
    expect(Date.now() - restartedAt).toBeLessThan(5000);
    acked.push(retried.message);
    const again = await call(ana, 'message:send', {
      room: 'general',
      text: 'during the outage',
      clientMsgId: 'outage-1',
    });
    expect(again.message).toEqual(retried.message);

    // The adapter's own subscriptions came back too: presence and typing cross nodes again.
    const joined = nextEvent(bo, 'presence:joined', () => true, 5000);
    const cy = await a.connect('acme', await a.token('Cy', { sub: 'cy' }));
    await call(cy, 'room:join', { room: 'general' });
    expect(await joined).toEqual({ room: 'general', member: { id: 'cy', name: 'Cy' } });
    const typing = nextEvent(bo, 'typing:changed', () => true, 5000);
    cy.emit('typing:set', { room: 'general', typing: true });
    await typing;

    const history = await call(bo, 'message:history', { room: 'general', limit: 100 });
    expect(history.messages).toEqual(acked);
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it('a node still shuts down promptly and cleanly while Redis is down', async () => {
    const own = await startRedis();
    try {
      const [node] = (await startCluster(own.url, 1)) as [TestServer];
      const ana = await node.connect('acme', await node.token('Ana'));
      await call(ana, 'room:join', { room: 'general' });
      await own.kill();
      const started = Date.now();
      // Nothing may hang or reject unhandled (vitest fails the run on an unhandled rejection).
      await node.server.close();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await own.stop();
    }
  });
});
