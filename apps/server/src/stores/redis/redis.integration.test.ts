import { afterAll, beforeAll } from 'vitest';
import { openRedisStores, startRedis, type TestRedis } from '../../../test/redis';
import { describeStoreContract } from '../contract';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

// Each test gets its own key prefix: the same contract as memory, on a shared redis-server.
describeStoreContract('redis', (limits) => openRedisStores(redis.url, { limits }));
