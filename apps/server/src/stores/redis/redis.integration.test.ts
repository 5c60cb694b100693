import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import { describeStoreContract, describeWebhookQueueContract } from '../contract';
import { createRedisConnections } from './client';
import { redisKeys } from './keys';
import { createRedisWebhookQueue } from './webhook-queue';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

// Each test gets its own key prefix: the same contract as memory, on a shared redis-server.
describeStoreContract('redis', (limits) => openRedisStores(redis.url, { limits }));
describeWebhookQueueContract('redis', async ({ capacity }) => {
  const prefix = uniquePrefix();
  const connections = createRedisConnections(
    { url: redis.url, keyPrefix: prefix, shardedPubSub: false, commandTimeoutMs: 1000 },
    pino({ level: 'silent' }),
  );
  await connections.open();
  return {
    queue: createRedisWebhookQueue(connections.commands, redisKeys(prefix), { capacity }),
    close: () => connections.close(),
  };
});
