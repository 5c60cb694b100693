import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import { StoreUnavailableError } from '../errors';
import { describeJoinContract } from '../join-contract';
import type { Stores } from '../types';

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

describe('a join that missed its deadline', () => {
  const ref = { workspace: 'acme', room: 'general' };
  const query = { pageLimit: 50, recoveryMax: 100 };
  const enter = (stores: Stores, id: string) =>
    stores.joins.enter(
      ref,
      { member: { id, name: id }, connectionId: `conn-${id}`, membersMax: 50 },
      query,
    );

  it('is taken out when its add lands after the caller gave up', async () => {
    const own = await startRedis();
    const stores = await openRedisStores(own.url, { commandTimeoutMs: 300 });
    /**
     * SIGSTOP: Ana's join script is written and waits, unread, while its deadline passes; her
     * join gives up. Then Redis carries on and runs it: she is counted, though answered
     * unavailable.
     */
    const anaAbandonedWhileStopped = async () => {
      own.pause();
      await expect(enter(stores, 'ana')).rejects.toBeInstanceOf(StoreUnavailableError);
      stores.joins.abandon(ref, 'conn-ana');
      own.resume();
      await expect
        .poll(() => stores.presence.count(ref).catch(() => -1), { timeout: 10_000 })
        .toBe(2);
    };
    try {
      await enter(stores, 'bo');
      await anaAbandonedWhileStopped();
      // A sweep takes her out (the first after her add's answer came back), her departure told
      // as any last connection's is: a client that never heard of her arrival ignores it.
      const departures: string[] = [];
      const present = async () => {
        for (const departure of await stores.presence.sweep()) departures.push(departure.member.id);
        return (await stores.presence.members(ref)).map((member) => member.id);
      };
      await expect.poll(present, { timeout: 10_000 }).toEqual(['bo']);
      expect(departures).toEqual(['ana']);
      // A connection that enters again is not taken out by an earlier attempt's undo.
      await anaAbandonedWhileStopped();
      await enter(stores, 'ana');
      expect(await stores.presence.sweep()).toEqual([]);
      expect((await stores.presence.members(ref)).map((member) => member.id).sort()).toEqual([
        'ana',
        'bo',
      ]);
    } finally {
      own.resume();
      await stores.close();
      await own.stop();
    }
  });
});
