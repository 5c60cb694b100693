import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, TEST_SECRET, type TestServer } from '../../test/helpers';
import { exitOf, type NodeProcess, spawnNode } from '../../test/node-process';
import { RawSocketIoClient } from '../../test/raw-socketio';
import { startRedis, type TestRedis, uniquePrefix } from '../../test/redis';
import { createTokenService } from '../auth/tokens';

/** A WebSocket close frame (opcode 8): what a connection closed one by one receives last. */
const isCloseFrame = (frame: Buffer) => ((frame[0] as number) & 0x0f) === 0x8;

/**
 * A node over Redis stopped by a signal (a deploy's SIGTERM) leaves its connections to its exit:
 * they hear `server:shutdown`, then their TCP connection ends without a WebSocket close of each
 * (the kernel closes them all as the process ends), and their users stay present — handed over
 * for the restart's grace — as another node over the same Redis sees. The same with
 * PARLEY_WORKERS, whose workers serve connections their primary hands over without listening
 * themselves (once, closing a worker's never-listening HTTP server closed every connection at
 * once as "forced close": close frames, and every user announced gone).
 */
describe.each([
  { setup: 'one process', workers: {} },
  { setup: 'PARLEY_WORKERS=2', workers: { PARLEY_WORKERS: '2' } },
])('a node over Redis stopped by SIGTERM ($setup)', ({ workers }) => {
  let redis: TestRedis;
  let node: NodeProcess;
  let other: TestServer;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      NODE_ENV: 'test',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      PARLEY_AUTH_SECRET: TEST_SECRET,
      PRESENCE_GRACE_MS: '0',
    };
    node = await spawnNode({ ...env, ...workers, NODE_ID: 'leaving' });
    other = await startServer({ ...env, NODE_ID: 'staying' });
  }, 30_000);

  afterAll(async () => {
    if (node && node.child.exitCode === null) await node.kill();
    await other?.close();
    await redis?.stop();
  }, 30_000);

  it('tells its clients, exits 0 without closing each websocket, and their users stay present', async () => {
    const tokens = createTokenService(TEST_SECRET);
    const users = await Promise.all(
      ['ann', 'bob', 'cy'].map(
        async (name) => (await tokens.issue({ name, ttlSeconds: 60 })).token,
      ),
    );
    const clients = await Promise.all(
      users.map((token) => RawSocketIoClient.connect(node.url, 'acme', token)),
    );
    for (const client of clients) {
      const [answer] = await client.request('room:join', { room: 'general' });
      expect(answer).toMatchObject({ ok: true });
    }
    const ended = clients.map((client) => client.ended());
    const exited = exitOf(node);
    node.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await Promise.all(ended);
    for (const client of clients) {
      expect(client.events()).toContain('server:shutdown');
      // Closed by the exit, not one by one: no close frame came before the connection ended.
      expect(client.frames.some(isCloseFrame)).toBe(false);
    }
    // Its output may still be on its way when the exit is seen.
    await expect.poll(() => node.output()).toContain('connections left to the exit');

    // Handed over, not gone: another node lists all three in the room.
    const watcher = await other.connect('acme', await other.token('Dee'));
    const joined = await call(watcher, 'room:join', { room: 'general' });
    expect(joined.members.map((member) => member.name).sort()).toEqual(['Dee', 'ann', 'bob', 'cy']);
  }, 30_000);
});
