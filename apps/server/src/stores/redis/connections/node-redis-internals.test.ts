import { createCluster } from '@redis/client';
import { describe, expect, it } from 'vitest';
import { clusterRediscovery } from './node-redis-internals';

/**
 * What Parley reads of node-redis's private parts, checked on the version installed: an upgrade
 * that moves them fails here (cluster.integration.test.ts shows that the rediscovery does reload
 * the slot map after a failover, on a real cluster).
 */
describe('node-redis internals', () => {
  it("a cluster client still has its slot map's rediscovery where Parley reaches for it", () => {
    // Never connected: nothing is dialled.
    const cluster = createCluster({ rootNodes: [{ socket: { host: '127.0.0.1', port: 1 } }] });
    const { rediscover } = (cluster as unknown as { _slots: { rediscover?: unknown } })._slots;
    expect(rediscover).toBeTypeOf('function');
    // It takes the client to reload through (the one that answered MOVED, in node-redis).
    expect((rediscover as (startWith: unknown) => unknown).length).toBe(1);
    expect(clusterRediscovery(cluster)).toBeTypeOf('function');
  });

  it('answers undefined where there is no such method, so the caller can warn', () => {
    expect(clusterRediscovery({})).toBeUndefined();
    expect(clusterRediscovery({ _slots: {} })).toBeUndefined();
    expect(clusterRediscovery({ _slots: { rediscover: 'no' } })).toBeUndefined();
  });

  it('calls the rediscovery on the slots object, with the client to start from', async () => {
    const calls: { self: unknown; via: unknown }[] = [];
    const slots = {
      async rediscover(this: unknown, via: unknown) {
        calls.push({ self: this, via });
      },
    };
    const via = { options: { socket: { port: 7000 } } };
    await clusterRediscovery({ _slots: slots })?.(via);
    expect(calls).toEqual([{ self: slots, via }]);
  });
});
