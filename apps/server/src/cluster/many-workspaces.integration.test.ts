import { ClientEvent } from '@parley/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/**
 * Over Redis, every workspace with sockets on a node has its own Socket.IO adapter, and each adds
 * an 'error' listener to the node's Redis clients. Past ten, Node warned of a "possible
 * EventEmitter memory leak" — a false alarm an operator would chase.
 */
let redis: TestRedis;
let node: TestServer;
beforeAll(async () => {
  redis = await startRedis();
  [node] = (await startCluster(redis.url, 1)) as [TestServer];
});
afterAll(async () => {
  await node.close();
  await redis.stop();
});

it('serves more than ten workspaces without an EventEmitter leak warning', async () => {
  const warnings: Error[] = [];
  const listen = (warning: Error) => warnings.push(warning);
  process.on('warning', listen);
  try {
    const token = await node.token('Ana', { sub: 'ana', workspaces: '*' });
    const workspaces = Array.from({ length: 15 }, (_, i) => `ws-${i}`);
    const sockets = await Promise.all(workspaces.map((ws) => node.connect(ws, token)));
    // A round trip on each, after every namespace (and its adapter) was made: a warning would
    // have been emitted by then (Node emits it on the next tick after the listener is added).
    for (const socket of sockets) {
      expect(await call(socket, ClientEvent.RoomJoin, { room: 'general' })).toMatchObject({
        ok: true,
      });
    }
    expect(sockets).toHaveLength(15);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual(
      [],
    );
  } finally {
    process.off('warning', listen);
  }
});
