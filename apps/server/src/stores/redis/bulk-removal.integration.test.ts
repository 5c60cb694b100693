import type { Member } from '@parley/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import type { RoomRef } from '../types';
import type { RedisClient } from './connections';
import { type RedisKeys, redisKeys } from './keys';
import { presenceKeysOf } from './presence';

/**
 * `removeConnectionsScript` (a node's connections taken out of a room in one call: a stopped
 * node's, a dead one's, a restarted one's leftovers) against `removeConnectionScript` called once
 * per connection, which it replaces: the same users leave, and the room is left the same.
 */

let redis: TestRedis;
type Opened = Awaited<ReturnType<typeof openRedisStores>>;
/** Two worlds on one Redis: each removes the same connections its own way. */
let bulk: { stores: Opened; keys: RedisKeys };
let oneByOne: { stores: Opened; keys: RedisKeys };

beforeAll(async () => {
  redis = await startRedis();
  const open = async () => {
    const prefix = uniquePrefix();
    return { stores: await openRedisStores(redis.url, { prefix }), keys: redisKeys(prefix) };
  };
  [bulk, oneByOne] = await Promise.all([open(), open()]);
});
afterAll(async () => {
  await Promise.all([bulk?.stores.close(), oneByOne?.stores.close()]);
  await redis?.stop();
});

const client = (world: { stores: Opened }): RedisClient => world.stores.connections.commands;

/** Everything a room's presence holds, comparable across the two worlds. */
async function stateOf(world: { stores: Opened; keys: RedisKeys }, ref: RoomRef) {
  const keys = presenceKeysOf(world.keys, ref);
  const redisClient = client(world);
  const [connections, members, userConnections, departing, presentIds, count] = await Promise.all([
    redisClient.hGetAll(keys.connections),
    redisClient.hGetAll(keys.members),
    redisClient.hGetAll(keys.userConnections),
    redisClient.hKeys(keys.departing),
    redisClient.zRange(keys.presentIds, 0, -1),
    redisClient.hGet(keys.counts, ref.room),
  ]);
  return { connections, members, userConnections, departing: departing.sort(), presentIds, count };
}

const users = ['ana', 'bo', 'cy', 'dee'];
/** Ill-formed and odd ids too: they are data, never code or keys. */
const connectionId = fc.oneof(
  fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5', 'c6'),
  fc.string({ maxLength: 8, unit: 'binary' }),
);

let run = 0;

describe('removing a room’s connections in one call', () => {
  it('leaves the room as removing them one at a time does, with the same users gone (generative)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: connectionId, user: fc.constantFrom(...users) }), {
          maxLength: 12,
        }),
        // Removed: some of the connections added, some twice, some never added.
        fc.array(fc.oneof(connectionId, fc.constantFrom('c1', 'c2', 'c3')), { maxLength: 14 }),
        fc.constantFrom(0, 60_000),
        async (added, removed, graceMs) => {
          const ref = { workspace: 'bulk', room: `r${++run}` };
          const member = (id: string): Member => ({ id, name: id.toUpperCase() });
          for (const world of [bulk, oneByOne]) {
            for (const { id, user } of added)
              await world.stores.presence.add(ref, member(user), id);
          }
          const now = Date.now();
          const leftAtOnce = await client(bulk).removeConnections(
            presenceKeysOf(bulk.keys, ref),
            ref.room,
            graceMs,
            now,
            removed,
          );
          const leftOneByOne: string[] = [];
          for (const id of removed) {
            const { outcome, member: json } = await client(oneByOne).removeConnection(
              presenceKeysOf(oneByOne.keys, ref),
              id,
              ref.room,
              graceMs,
              now,
            );
            if (outcome === 2 && json) leftOneByOne.push(json);
          }
          expect(leftAtOnce.sort()).toEqual(leftOneByOne.sort());
          if (graceMs > 0) expect(leftAtOnce).toEqual([]);
          expect(await stateOf(bulk, ref)).toEqual(await stateOf(oneByOne, ref));
        },
      ),
      { numRuns: 60 },
    );
  });
});
