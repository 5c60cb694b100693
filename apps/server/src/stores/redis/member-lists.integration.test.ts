import type { Member } from '@parley/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import type { RoomRef } from '../types';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const member = (i: number, name = `U${i}`): Member => ({ id: `u${i}`, name });
const byId = (members: readonly Member[]) => [...members].sort((a, b) => a.id.localeCompare(b.id));

async function twoNodes() {
  const prefix = uniquePrefix();
  const one = await openRedisStores(redis.url, { prefix });
  const other = await openRedisStores(redis.url, { prefix });
  /** Member lists Redis has sent so far (HVALS, in the join's script or not). */
  const listsRead = async () => {
    const stats = await one.connections.commands.info('commandstats');
    return Number(/cmdstat_hvals:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  };
  return { one, other, prefix, listsRead };
}

it('re-joins of a room that did not change are answered with the list the node holds, and every change on any node is heard', async () => {
  const { one, other, listsRead } = await twoNodes();
  try {
    const ref: RoomRef = { workspace: 'acme', room: 'storm' };
    const everyone = Array.from({ length: 100 }, (_, i) => member(i));
    for (const [i, user] of everyone.entries()) await one.presence.add(ref, user, `a${i}`);
    const first = await one.presence.enter(ref, member(0), 'b0', 100);
    expect(byId(first.members)).toEqual(byId(everyone));

    // Everyone re-joins on the same node, as after a restart: no list crosses from Redis again.
    const read = await listsRead();
    for (let i = 0; i < 100; i++) {
      const again = await one.presence.enter(ref, member(i), `c${i}`, 100);
      expect(again.count).toBe(100);
      expect(again.members).toBe(first.members);
    }
    expect(await listsRead()).toBe(read);

    // Someone leaves on the other node (all their connections): the next join hears it.
    for (const connection of ['a7', 'c7']) await other.presence.remove(ref, 'u7', connection);
    const afterLeave = await one.presence.enter(ref, member(1), 'd1', 100);
    expect(afterLeave.count).toBe(99);
    expect(byId(afterLeave.members)).toEqual(byId(everyone.filter((user) => user.id !== 'u7')));

    // A rename (a join under another name) on the other node, then one on this node.
    await other.presence.enter(ref, member(2, 'Renamed'), 'd2', 100);
    const afterRename = await one.presence.enter(ref, member(3), 'd3', 100);
    expect(afterRename.members).toContainEqual(member(2, 'Renamed'));
    expect(afterRename.members).not.toContainEqual(member(2));

    // A room past the limit is sampled, never answered from a held list.
    const sample = await one.presence.enter(ref, member(4), 'd4', 10);
    expect(sample.members).toHaveLength(10);
    expect(sample.members).toContainEqual(member(4));
  } finally {
    await other.close();
    await one.close();
  }
});

it('keeps nothing of a room everyone left: its members version goes with its members', async () => {
  const { one, prefix } = await twoNodes();
  try {
    const ref: RoomRef = { workspace: 'acme', room: 'emptied' };
    for (let i = 0; i < 3; i++) await one.presence.enter(ref, member(i), `s${i}`, 100);
    const roomKeys = () => one.connections.commands.keys(`${prefix}*presence:emptied*`);
    expect((await roomKeys()).some((key) => key.endsWith(':members-version'))).toBe(true);
    for (let i = 0; i < 3; i++) await one.presence.remove(ref, `u${i}`, `s${i}`);
    expect(await roomKeys()).toEqual([]);
    // Filled again, it answers its new members, not a list from before.
    expect((await one.presence.enter(ref, member(9), 's9', 100)).members).toEqual([member(9)]);
  } finally {
    await one.close();
  }
});
