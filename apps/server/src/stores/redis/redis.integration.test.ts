import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAccessContract } from '../../../test/access-contract';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import { describeStoreContract, describeWebhookQueueContract } from '../../../test/store-contract';
import { StoreUnavailableError } from '../errors';
import { createRedisConnections } from './connections';
import { redisKeys } from './keys';
import { createRedisWebhookQueue } from './webhook-queue';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

// Each test gets its own key prefix: the same contract as memory, on a shared redis-server.
describeStoreContract('redis', (limits) => openRedisStores(redis.url, { limits }));
describeAccessContract('redis', (limits) => openRedisStores(redis.url, { limits }));
describeWebhookQueueContract('redis', async ({ capacity }) => {
  const prefix = uniquePrefix();
  const connections = createRedisConnections(
    {
      topology: { kind: 'standalone', url: redis.url },
      keyPrefix: prefix,
      shardedPubSub: false,
      commandTimeoutMs: 1000,
    },
    pino({ level: 'silent' }),
  );
  await connections.open();
  return {
    queue: createRedisWebhookQueue(connections.commands, redisKeys(prefix), {
      capacity,
      lane: 'messages',
    }),
    close: () => connections.close(),
  };
});

describe('redis: the admission read', () => {
  it('removes an ended ban itself, and takes a stored end that is no finite number for no ban', async () => {
    const prefix = uniquePrefix();
    const stores = await openRedisStores(redis.url, { prefix });
    const redisClient = stores.connections.commands;
    const ref = { workspace: 'acme', room: 'bans' };
    const bans = redisKeys(prefix).roomBans(ref);
    try {
      await stores.members.ban(ref, 'ended', Date.now() - 1);
      expect((await stores.members.admission(ref, 'ended')).bannedUntil).toBeUndefined();
      expect(await redisClient.hExists(bans, 'ended')).toBe(0);
      // Hand-written or corrupted ends: Lua would read some of them as numbers (NaN, infinity).
      const odd = ['nan', 'inf', '-inf', 'Infinity', '', 'abc', ' '];
      for (const [i, value] of odd.entries()) await redisClient.hSet(bans, `odd${i}`, value);
      for (const i of odd.keys()) {
        expect(await stores.members.admission(ref, `odd${i}`)).toEqual({
          record: undefined,
          member: undefined,
          bannedUntil: undefined,
        });
      }
      // A hexadecimal end both read as 16 ms since the epoch: ended, and removed.
      await redisClient.hSet(bans, 'hex', '0x10');
      expect((await stores.members.admission(ref, 'hex')).bannedUntil).toBeUndefined();
      expect(await redisClient.hExists(bans, 'hex')).toBe(0);
    } finally {
      await stores.close();
    }
  });
});

describe('redis: presence pages', () => {
  it('rebuild their index when it is missing or out of step (rooms entered before it existed)', async () => {
    const prefix = uniquePrefix();
    const stores = await openRedisStores(redis.url, { prefix });
    const ref = { workspace: 'acme', room: 'old' };
    try {
      for (let i = 0; i < 30; i++) {
        await stores.presence.add(ref, { id: `u${i}`, name: `U${i}` }, `s${i}`);
      }
      const ids = redisKeys(prefix).presentIds(ref);
      await stores.connections.commands.del(ids);
      await stores.connections.commands.zAdd(ids, { score: 0, value: 'ghost' });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await stores.presence.page(ref, cursor, 7);
        seen.push(...page.members.map((member) => member.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `u${i}`).sort());
      expect(await stores.connections.commands.zCard(ids)).toBe(30);
    } finally {
      await stores.close();
    }
  });
});

describe('redis: webhook queue during an outage', () => {
  it('reports unavailable while Redis is down, and serves again once it is back', async () => {
    const own = await startRedis();
    const stores = await openRedisStores(own.url, { commandTimeoutMs: 300 });
    const delivery = {
      id: 'evt_1.0',
      url: 'http://127.0.0.1:9/hook',
      eventId: 'evt_1',
      eventType: 'room.occupied',
      body: '{}',
    };
    try {
      await own.kill();
      await expect(stores.webhookQueues.messages.enqueue([delivery])).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      await expect(
        stores.webhookQueues.messages.claim({ max: 1, leaseMs: 100, maxAttempts: 3 }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      await own.restart();
      while (!(await stores.ready())) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await stores.webhookQueues.messages.enqueue([delivery])).toBe(true);
      expect(await stores.webhookQueues.messages.size()).toBe(1);
    } finally {
      await stores.close();
      await own.stop();
    }
  });
});

describe('redis: the subscriber connection', () => {
  it('holds a subscription asked for while it reconnects, and takes it once it is back', async () => {
    const connections = createRedisConnections(
      {
        topology: { kind: 'standalone', url: redis.url },
        keyPrefix: uniquePrefix(),
        shardedPubSub: false,
        commandTimeoutMs: 1000,
      },
      pino({ level: 'silent' }),
    );
    await connections.open();
    const { commands, subscriber } = connections;
    const channel = `${uniquePrefix()}:late`;
    try {
      // Asked for at the moment its connection is lost (a sharded room's subscription can be):
      // it waits in the queue for the reconnection instead of failing.
      const asked = new Promise<Promise<unknown>>((resolve) => {
        subscriber.once('reconnecting', () => {
          resolve(subscriber.subscribe(channel, (message) => heard.push(message)));
        });
      });
      const heard: string[] = [];
      const id = await subscriber.sendCommand<number>(['CLIENT', 'ID']);
      await commands.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
      await await asked;
      await commands.publish(channel, 'after');
      // The publish's answer counts the subscribers that were sent it: this one.
      expect(await commands.publish(channel, 'again')).toBe(1);
      await expect.poll(() => heard).toEqual(['after', 'again']);
    } finally {
      await connections.close();
    }
  });
});
