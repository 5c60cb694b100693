import { connect } from 'node:net';
import { request } from '@parley/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, nextEvent, presenceLog, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/**
 * A rolling restart as a load balancer sees it: the draining node answers /readyz 503 while it
 * still serves, then tells its clients, who reconnect to the other node. Those who come back
 * within the restart's grace (PRESENCE_TTL_SECONDS) never left in anyone's eyes; whoever does
 * not is announced gone when it ends, by the sweep of a node still there.
 */
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

describe('draining a node', () => {
  it('is visible to load balancers first, and moves its users without departures or arrivals', async () => {
    const nodes = await startCluster(redis.url, 2, {
      SHUTDOWN_DRAIN_MS: '500',
      // No grace for a dropped connection: only the restart's (PRESENCE_TTL_SECONDS) keeps the
      // movers present while they move.
      PRESENCE_GRACE_MS: '0',
      PRESENCE_TTL_SECONDS: '3',
    });
    const [a, b] = nodes as [TestServer, TestServer];
    try {
      const watcher = await b.connect('acme', await b.token('Wes', { sub: 'wes' }));
      await call(watcher, 'room:join', { room: 'general' });
      const heard = presenceLog(watcher);
      const movers = ['u1', 'u2', 'u3', 'u4', 'u5'];
      const onA = new Map<string, Awaited<ReturnType<TestServer['connect']>>>();
      for (const id of [...movers, 'gone']) {
        const socket = await a.connect('acme', await a.token(id, { sub: id }));
        await call(socket, 'room:join', { room: 'general' });
        onA.set(id, socket);
      }
      // Their arrivals cross over from A: heard before anything is counted.
      await expect.poll(() => heard.length).toBe(6);
      heard.length = 0;
      const told = [...onA.values()].map((socket) =>
        nextEvent(socket, 'server:shutdown', () => true, 5000),
      );

      const closing = a.server.close();
      // Draining: load balancers see 503, and the node still serves its clients meanwhile.
      expect((await fetch(`${a.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
      const during = await request(onA.get('u1') as never, 'message:send', {
        room: 'general',
        text: 'still here while draining',
        clientMsgId: 'drain',
      });
      expect(during.ok).toBe(true);
      // New sessions are refused with 503 (a proxy retries them elsewhere): polling and websocket.
      const polling = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
      expect(polling.status).toBe(503);
      expect(await polling.json()).toMatchObject({ error: { code: 'unavailable' } });
      const upgrade = await rawUpgrade(a.url);
      expect(upgrade).toMatch(/^HTTP\/1\.1 503 /);
      expect((await fetch(`${b.url}/socket.io/?EIO=4&transport=polling`)).status).toBe(200);

      // Then it tells its clients; the movers reconnect to the other node and re-join.
      await Promise.all(told);
      const moved = [];
      for (const id of movers) {
        const socket = await b.connect('acme', await b.token(id, { sub: id }));
        await call(socket, 'room:join', { room: 'general' });
        moved.push(socket);
      }
      // The node does not wait for the grace to end: it stops once its removals are in.
      await closing;

      // When the grace ends, "gone" is announced by B's sweep. A drained node sends what its
      // rooms had waiting before it closes, so the movers' (absent) departures would be in by
      // now; their (absent) arrivals on B would be heard before a later arrival there: Zed's.
      await expect
        .poll(() => heard.filter((h) => !h.joined).map((h) => h.id), { timeout: 10_000 })
        .toEqual(['gone']);
      const zed = await b.connect('acme', await b.token('Zed', { sub: 'zed' }));
      await call(zed, 'room:join', { room: 'general' });
      await expect.poll(() => heard.some((h) => h.id === 'zed')).toBe(true);
      expect(heard.filter((h) => h.id !== 'zed')).toEqual([
        { room: 'general', id: 'gone', joined: false },
      ]);
      await call(zed, 'room:leave', { room: 'general' });
      const members = await call(watcher, 'member:list', { room: 'general' });
      expect(members.members.map((m) => m.id).sort()).toEqual([...movers, 'wes'].sort());
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});

/** A websocket handshake with no session, answered with the status line the server sent. */
function rawUpgrade(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
          `Host: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
