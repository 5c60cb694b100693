import { afterAll, beforeAll } from 'vitest';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import { describeJoinContract } from '../join-contract';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

// Each store its own key prefix; a peer (another node) shares its store's.
const opened = new WeakMap<object, { prefix: string; limits: { historyRetention: number } }>();
describeJoinContract(
  'redis',
  async (limits) => {
    const prefix = uniquePrefix();
    const stores = await openRedisStores(redis.url, { prefix, limits });
    opened.set(stores, { prefix, limits });
    return stores;
  },
  async (stores) => openRedisStores(redis.url, { ...opened.get(stores) }),
);
