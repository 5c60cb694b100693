import type { Member } from '@parley/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import type { RoomRef } from '../types';
import { redisKeys } from './keys';
import type { RedisPresenceStore } from './presence';

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

    // A room past the limit is sampled, the joiner among them.
    const sample = await one.presence.enter(ref, member(4), 'd4', 10);
    expect(sample.members).toHaveLength(10);
    expect(sample.members).toContainEqual(member(4));
  } finally {
    await other.close();
    await one.close();
  }
});

it('answers re-joins of a room past the limit from the sample it holds, until the room changes on any node', async () => {
  const { one, other, listsRead } = await twoNodes();
  /** Samples Redis has drawn so far (HRANDFIELD, in the join's script or not). */
  const samplesRead = async () => {
    const stats = await one.connections.commands.info('commandstats');
    return Number(/cmdstat_hrandfield:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  };
  try {
    const ref: RoomRef = { workspace: 'acme', room: 'big' };
    const everyone = Array.from({ length: 30 }, (_, i) => member(i));
    for (const [i, user] of everyone.entries()) await one.presence.add(ref, user, `a${i}`);
    const ids = (members: readonly Member[]) => members.map((m) => m.id);
    const first = await one.presence.enter(ref, member(0), 'b0', 10);
    expect(first.count).toBe(30);
    expect(first.members).toHaveLength(10);
    expect(ids(first.members)).toContain('u0');
    for (const user of first.members) expect(everyone).toContainEqual(user);

    // Re-joins by those in the sample: the very list again, nothing drawn or sent by Redis.
    const [drawn, read] = [await samplesRead(), await listsRead()];
    for (const user of first.members) {
      const again = await one.presence.enter(ref, user, `c-${user.id}`, 10);
      expect(again.count).toBe(30);
      expect(again.members).toBe(first.members);
    }
    // One who is not in it: the sample with them in, still 10.
    const outsider = everyone.find((user) => !ids(first.members).includes(user.id)) as Member;
    const theirs = await one.presence.enter(ref, outsider, 'c-out', 10);
    expect(theirs.members).toHaveLength(10);
    expect(theirs.members).toContainEqual(outsider);
    expect(theirs.members.slice(0, 9)).toEqual(first.members.slice(0, 9));
    expect([await samplesRead(), await listsRead()]).toEqual([drawn, read]);

    // Someone of the sample leaves on the other node (both their connections): the next join
    // here draws a sample without them, the one it held being of the version before.
    const leaver = first.members.find((user) => user.id !== 'u0') as Member;
    const theirConnections = [`a${leaver.id.slice(1)}`, `c-${leaver.id}`];
    for (const connection of theirConnections)
      await other.presence.remove(ref, leaver.id, connection);
    const afterLeave = await one.presence.enter(ref, member(0), 'e0', 10);
    expect(await samplesRead()).toBe(drawn + 1);
    expect(afterLeave.count).toBe(29);
    expect(afterLeave.members).not.toContainEqual(leaver);
    expect(afterLeave.members).toHaveLength(10);

    // A rename on the other node of someone in the new sample: the next join here draws again.
    const renamed = afterLeave.members.find((user) => user.id !== 'u0') as Member;
    await other.presence.enter(ref, { ...renamed, name: 'Renamed' }, 'f', 10);
    const drawnBefore = await samplesRead();
    const afterRename = await one.presence.enter(ref, member(0), 'g0', 10);
    expect(await samplesRead()).toBe(drawnBefore + 1);
    expect(afterRename.members).not.toContainEqual(renamed);

    // Another limit is not answered from a sample of 10 (a user already there: nothing changes).
    const smaller = await one.presence.enter(ref, member(0), 'h0', 5);
    expect(smaller.members).toHaveLength(5);
    expect(smaller.members).toContainEqual(member(0));
  } finally {
    await other.close();
    await one.close();
  }
});

it('keeps nothing of a room everyone left, and answers its new members when it fills again', async () => {
  const { one, other, prefix } = await twoNodes();
  try {
    const ref: RoomRef = { workspace: 'acme', room: 'emptied' };
    const roomKeys = () => one.connections.commands.keys(`${prefix}*presence:emptied*`);
    // One member, one change: the version the node holds is the first one the room ever had.
    expect((await one.presence.enter(ref, member(0), 's0', 100)).members).toEqual([member(0)]);
    expect((await roomKeys()).some((key) => key.endsWith(':members-version'))).toBe(true);
    await one.presence.remove(ref, 'u0', 's0');
    expect(await roomKeys()).toEqual([]);
    // Filled again by one change, its version starts over: only Redis's clock tells it apart
    // from the one the node holds, and the node must not answer the list it holds.
    expect((await one.presence.enter(ref, member(9), 's9', 100)).members).toEqual([member(9)]);
  } finally {
    await other.close();
    await one.close();
  }
});

it("hears of leaves that end a grace, and of a stopped node's users removed all at once", async () => {
  const { one, other, listsRead } = await twoNodes();
  try {
    const ref: RoomRef = { workspace: 'acme', room: 'leaving' };
    for (let i = 0; i < 4; i++) await other.presence.enter(ref, member(i), `o${i}`, 100);
    const held = await one.presence.enter(ref, member(9), 'a9', 100);
    expect(held.members).toHaveLength(5);
    // u0 leaves with a grace of 1 ms, which has ended when it is settled.
    expect(await other.presence.remove(ref, 'u0', 'o0', 1)).toBe('leaving');
    // The grace is 1 ms of the clock that settle reads, from a moment inside the remove: read
    // once it has answered (never before it: a late start of the grace would outlast the wait),
    // then waited out, whatever the machine.
    const removedBy = Date.now();
    while (Date.now() <= removedBy) {
      // nothing: the clock has to pass the remove's own reading
    }
    expect(await other.presence.settle(ref, 'u0')).toEqual(member(0));
    const afterSettle = await one.presence.enter(ref, member(9), 'b9', 100);
    expect(afterSettle.members.map((m) => m.id).sort()).toEqual(['u1', 'u2', 'u3', 'u9']);
    // The other node stops with no grace to give: its users are removed in one script call.
    const read = await listsRead();
    await other.close();
    const afterStop = await one.presence.enter(ref, member(9), 'c9', 100);
    expect(afterStop.members).toEqual([member(9)]);
    expect(await listsRead()).toBeGreaterThan(read);
  } finally {
    await one.close();
  }
});

it('holds no list while a node of an older version is registered, whose changes leave the version as it was', async () => {
  const { one, other, prefix, listsRead } = await twoNodes();
  const redis = one.connections.commands;
  const keys = redisKeys(prefix);
  const presence = one.presence as RedisPresenceStore;
  try {
    const ref: RoomRef = { workspace: 'acme', room: 'rolling' };
    for (let i = 0; i < 3; i++) await presence.enter(ref, member(i), `s${i}`, 100);
    // A node of the version before joins (a rolling deploy): registered and alive, and not
    // among the nodes that keep the members versions. This node hears of it at its heartbeat.
    await redis.sAdd(keys.nodes, 'old-node');
    await redis.set(keys.alive('old-node'), '1', { PX: 60_000 });
    await presence.heartbeat();
    // It renames someone as its scripts did: the member rewritten, the version left as it was.
    await redis.hSet(keys.members(ref), 'u1', JSON.stringify(member(1, 'Renamed')));
    const meanwhile = await presence.enter(ref, member(0), 'x0', 100);
    expect(meanwhile.members).toContainEqual(member(1, 'Renamed'));
    expect(meanwhile.members).not.toContainEqual(member(1));

    // Once it is gone, lists are held again.
    await redis.sRem(keys.nodes, 'old-node');
    await presence.heartbeat();
    await presence.enter(ref, member(2), 'x2', 100);
    const read = await listsRead();
    const again = await presence.enter(ref, member(0), 'y0', 100);
    expect(again.members).toContainEqual(member(1, 'Renamed'));
    expect(await listsRead()).toBe(read);
  } finally {
    await other.close();
    await one.close();
  }
});
