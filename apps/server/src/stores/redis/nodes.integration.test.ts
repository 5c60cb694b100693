import type { Member, Message } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  openRedisStores,
  type RedisStoreOptions,
  startRedis,
  type TestRedis,
  uniquePrefix,
} from '../../../test/redis';
import { StoreUnavailableError } from '../errors';
import type { AppendedEntry, AppendResult, Departure, RoomRef, Stored, Stores } from '../types';
import { redisKeys } from './keys';

const ana: Member = { id: 'ana', name: 'Ana' };
const bo: Member = { id: 'bo', name: 'Bo' };
const general = { workspace: 'acme', room: 'general' };
const random = { workspace: 'acme', room: 'random' };

function stored(result: AppendResult): Stored {
  if (!('created' in result)) throw new Error('refused');
  return result;
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const opened: Stores[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((stores) => stores.close()));
});

type Node = Awaited<ReturnType<typeof openRedisStores>>;

/** Several nodes' stores on one Redis and one key prefix: one cluster. */
async function cluster(count: number, options: RedisStoreOptions = {}): Promise<Node[]> {
  const prefix = uniquePrefix();
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      openRedisStores(redis.url, { prefix, nodeId: `node-${i}`, ...options }),
    ),
  );
  opened.push(...nodes);
  return nodes;
}

function nth(nodes: Node[], index: number): Node {
  const node = nodes[index];
  if (!node) throw new Error(`no node ${index}`);
  return node;
}

describe('redis stores shared by several nodes', () => {
  it('concurrent appends from three nodes get seq 1..N with no gap or duplicate', async () => {
    const nodes = await cluster(3);
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        nth(nodes, i % 3).history.append(general, {
          author: i % 2 ? ana : bo,
          text: `m${i}`,
          clientMsgId: `c${i}`,
        }),
      ),
    );
    expect(results.map((r) => stored(r).message.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
    const page = await nth(nodes, 1).history.page(general, { limit: 100 });
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 51));
  });

  it('a retry that lands on another node answers the original message', async () => {
    const nodes = await cluster(2);
    const [a, b] = [nth(nodes, 0), nth(nodes, 1)];
    const first = stored(
      await a.history.append(general, { author: ana, text: 'hi', clientMsgId: 'x' }),
    );
    const retry = await b.history.append(general, { author: ana, text: 'hi', clientMsgId: 'x' });
    expect(retry).toEqual({ message: first.message, created: false });
    expect(await b.history.lastSeq(general)).toBe(1);
  });

  it('a user with connections on two nodes is one member until the last one goes', async () => {
    const nodes = await cluster(2);
    const [a, b] = [nth(nodes, 0), nth(nodes, 1)];
    expect(await a.presence.add(general, ana, 'a1')).toBe(true);
    expect(await b.presence.add(general, ana, 'b1')).toBe(false);
    expect(await b.presence.members(general)).toEqual([ana]);
    expect(await a.presence.remove(general, 'ana', 'a1')).toBe('stayed');
    expect(await b.presence.remove(general, 'ana', 'b1')).toBe('left');
    expect(await a.presence.count(general)).toBe(0);
  });

  it('a user moving from one node to another within the grace neither leaves nor arrives', async () => {
    const nodes = await cluster(2);
    const [a, b] = [nth(nodes, 0), nth(nodes, 1)];
    await a.presence.add(general, ana, 'a1');
    expect(await a.presence.remove(general, 'ana', 'a1', 60_000)).toBe('leaving');
    expect(await b.presence.add(general, ana, 'b1')).toBe(false);
    expect(await a.presence.settle(general, 'ana')).toBeUndefined();
    expect(await b.presence.members(general)).toEqual([ana]);
    // Gone from B too, and the node that began the grace never settles it: a sweep does.
    expect(await b.presence.remove(general, 'ana', 'b1', 20)).toBe('leaving');
    await expect
      .poll(() => a.presence.sweep(), { interval: 25 })
      .toEqual([{ ref: general, member: ana }]);
    expect(await b.presence.sweep()).toEqual([]);
    expect(await a.presence.count(general)).toBe(0);
  });

  it("rate limits a user's messages in a room across nodes", async () => {
    const nodes = await cluster(2);
    const rate = { perSecond: 1, burst: 4 };
    const send = (node: Node, ref: typeof general, clientMsgId: string) =>
      node.history.append(
        ref,
        { author: ana, text: clientMsgId, clientMsgId },
        { rates: { sender: rate } },
      );
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await send(nth(nodes, i % 2), general, `c${i}`));
    expect(results.map((r) => 'rateLimited' in r)).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
    // The bucket is the room's: the same user in another room has a full one.
    expect('rateLimited' in (await send(nth(nodes, 1), random, 'r0'))).toBe(false);
  });

  it('every node hears a message stored on another, in seq order, decoding only rooms it wants', async () => {
    const prefix = uniquePrefix();
    const nodes = await cluster(2, { prefix });
    const [a, b] = [nth(nodes, 0), nth(nodes, 1)];
    const heard: AppendedEntry[] = [];
    const asked: RoomRef[] = [];
    b.history.onAppended(
      (appended) => heard.push(appended),
      (ref) => {
        asked.push(ref);
        return ref.room === 'general';
      },
    );
    const sent: Message[] = [];
    // The subscription is made asynchronously: send until b hears, then a few more.
    for (let i = 0; heard.length === 0 || sent.length < 20; i++) {
      const result = stored(
        await a.history.append(general, { author: ana, text: `m${i}`, clientMsgId: `c${i}` }),
      );
      sent.push(result.message);
      await a.history.append(random, { author: ana, text: `r${i}`, clientMsgId: `r${i}` });
      if (heard.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // A room nobody there wants may carry anything after its header: it is never parsed.
    await a.connections.commands.publish(
      redisKeys(prefix).appendedChannel,
      'acme\nrandom\n\n99\n{not json',
    );
    const last = stored(
      await a.history.append(general, { author: bo, text: 'last', clientMsgId: 'last' }),
    );
    sent.push(last.message);
    while (heard.at(-1)?.entry.id !== last.message.id) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const firstHeard = sent.findIndex((m) => m.id === heard[0]?.entry.id);
    expect(heard.map((h) => h.entry)).toEqual(sent.slice(firstHeard));
    expect(heard.every((h) => h.ref.room === 'general' && h.origin === undefined)).toBe(true);
    expect(asked.some((ref) => ref.room === 'random')).toBe(true);
  });
});

/** Sweeps `node` until `count` users have departed; answers their ids, sorted. */
async function departedBySweeps(node: Node, count: number): Promise<string[]> {
  const departed = new Set<string>();
  await expect
    .poll(
      async () => {
        for (const { member } of await node.presence.sweep()) departed.add(member.id);
        return departed.size;
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe(count);
  return [...departed].sort();
}

describe('a node that dies', () => {
  it('has its connections removed by one survivor, each departure answered once', async () => {
    const nodes = await cluster(3, { presenceTtlSeconds: 3 });
    const [dying, survivorA, survivorB] = [nth(nodes, 0), nth(nodes, 1), nth(nodes, 2)];
    await dying.presence.add(general, ana, 'd1');
    await dying.presence.add(general, bo, 'd2');
    await survivorA.presence.add(general, bo, 'a1'); // Bo also has a tab on a survivor
    await dying.presence.add({ workspace: 'acme', room: 'random' }, ana, 'd3');
    // A crash: the connections drop, nothing is cleaned up, the heartbeat stops.
    const killedAt = Date.now();
    await dying.connections.close();
    opened.splice(opened.indexOf(dying), 1);

    const departures: Departure[] = [];
    while (departures.length < 2 && Date.now() - killedAt < 3000) {
      const [fromA, fromB] = await Promise.all([
        survivorA.presence.sweep(),
        survivorB.presence.sweep(),
      ]);
      departures.push(...fromA, ...fromB);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(Date.now() - killedAt).toBeLessThan(3000);
    // A few more sweeps on both: nothing is answered twice.
    for (let i = 0; i < 3; i++) {
      departures.push(...(await survivorA.presence.sweep()), ...(await survivorB.presence.sweep()));
    }
    expect(departures).toEqual(
      expect.arrayContaining([
        { ref: general, member: ana },
        { ref: { workspace: 'acme', room: 'random' }, member: ana },
      ]),
    );
    expect(departures).toHaveLength(2);
    expect(await survivorB.presence.members(general)).toEqual([bo]);
    expect(await survivorB.presence.counts('acme', ['general'])).toEqual(new Map([['general', 1]]));
  });

  it('when restarted with the same node id, clears what its previous life left', async () => {
    const prefix = uniquePrefix();
    const before = await openRedisStores(redis.url, { prefix, nodeId: 'fixed' });
    await before.presence.add(general, ana, 'old-1');
    await before.connections.close();
    const after = await openRedisStores(redis.url, { prefix, nodeId: 'fixed' });
    opened.push(after);
    expect(await after.presence.count(general)).toBe(0);
    expect(await after.presence.sweep()).toEqual([{ ref: general, member: ana }]);
  });

  it('restarted, gives its earlier users the grace: those back in time never left, the rest leave after it', async () => {
    const prefix = uniquePrefix();
    const before = await openRedisStores(redis.url, { prefix, nodeId: 'fixed' });
    // Thousands of connections, to be reaped a few dozen at a time rather than one by one.
    const users = Array.from({ length: 2000 }, (_, i) => ({ id: `u${i}`, name: `U${i}` }));
    await Promise.all(users.map((user, i) => before.presence.add(general, user, `old-${i}`)));
    await before.connections.close();
    const graceMs = 3000;
    const after = await openRedisStores(redis.url, {
      prefix,
      nodeId: 'fixed',
      leftoverGraceMs: graceMs,
    });
    opened.push(after);
    // The first thousand come back at once, to the restarted node: no arrival for any of them.
    const back = users.slice(0, 1000);
    const arrivals = await Promise.all(
      back.map((user, i) => after.presence.add(general, user, `new-${i}`)),
    );
    expect(arrivals.filter(Boolean)).toEqual([]);
    // Until the grace ends nobody has left (a second of adds is far inside 3 s); then exactly
    // those who did not come back have.
    expect(await after.presence.sweep()).toEqual([]);
    expect(await departedBySweeps(after, users.length - 1000)).toEqual(
      users
        .slice(1000)
        .map((user) => user.id)
        .sort(),
    );
    expect(await after.presence.count(general)).toBe(1000);
    expect(await after.presence.sweep()).toEqual([]);
  });

  it('stopped holding connections, hands them over at once and gives their users the grace: those back in time never left, the rest leave after it', async () => {
    const prefix = uniquePrefix();
    const graceMs = 4000;
    // A short heartbeat, so the survivor may judge nodes soon after it opens.
    const stopping = await openRedisStores(redis.url, {
      prefix,
      nodeId: 'stopping',
      leftoverGraceMs: graceMs,
      presenceTtlSeconds: 3,
    });
    const survivor = await openRedisStores(redis.url, {
      prefix,
      nodeId: 'staying',
      presenceTtlSeconds: 3,
    });
    opened.push(survivor);
    const rooms = [general, random];
    const roomOf = (i: number) => rooms[i % 2] as RoomRef;
    const users = Array.from({ length: 1200 }, (_, i) => ({ id: `u${i}`, name: `U${i}` }));
    // Every user in one of two rooms; the first hundred with a second tab there.
    await Promise.all(users.map((user, i) => stopping.presence.add(roomOf(i), user, `s-${i}`)));
    await Promise.all(
      users.slice(0, 100).map((user, i) => stopping.presence.add(roomOf(i), user, `t-${i}`)),
    );
    const commandCalls = async () => {
      const stats = await survivor.connections.commands.info('commandstats');
      return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    };
    const before = await commandCalls();
    const stoppedAt = Date.now();
    await stopping.close();
    // Nothing removed at the stop, whatever it held (1,300 connections here): a few commands.
    expect((await commandCalls()) - before).toBeLessThan(20);
    // Everyone still counts during the grace (a second of adds is far inside 4 s).
    expect(await survivor.presence.counts('acme', ['general', 'random'])).toEqual(
      new Map([
        ['general', 600],
        ['random', 600],
      ]),
    );
    expect(await survivor.presence.sweep()).toEqual([]);
    const back = users.slice(0, 600);
    const arrivals = await Promise.all(
      back.map((user, i) => survivor.presence.add(roomOf(i), user, `b-${i}`)),
    );
    expect(arrivals.filter(Boolean)).toEqual([]);
    expect(await departedBySweeps(survivor, users.length - 600)).toEqual(
      users
        .slice(600)
        .map((user) => user.id)
        .sort(),
    );
    // Not before the grace was over.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(graceMs);
    expect(await survivor.presence.count(general)).toBe(300);
    expect(await survivor.presence.sweep()).toEqual([]);
    // The survivor that took them over unregistered the stopped node.
    expect(await survivor.connections.commands.sMembers(redisKeys(prefix).nodes)).toEqual([
      'staying',
    ]);
  });

  it('stopped holding connections and restarted with the same node id, takes them back over within the grace', async () => {
    const prefix = uniquePrefix();
    const graceMs = 4000;
    const options = { prefix, nodeId: 'fixed', leftoverGraceMs: graceMs };
    const before = await openRedisStores(redis.url, options);
    const users = Array.from({ length: 300 }, (_, i) => ({ id: `u${i}`, name: `U${i}` }));
    await Promise.all(users.map((user, i) => before.presence.add(general, user, `old-${i}`)));
    await before.close();
    const after = await openRedisStores(redis.url, options);
    opened.push(after);
    const back = users.slice(0, 200);
    const arrivals = await Promise.all(
      back.map((user, i) => after.presence.add(general, user, `new-${i}`)),
    );
    expect(arrivals.filter(Boolean)).toEqual([]);
    expect(await departedBySweeps(after, 100)).toEqual(
      users
        .slice(200)
        .map((user) => user.id)
        .sort(),
    );
    expect(await after.presence.count(general)).toBe(200);
  });

  it('a graceful stop unregisters the node at once, leaving survivors nothing to clean', async () => {
    const prefix = uniquePrefix();
    const leaving = await openRedisStores(redis.url, { prefix, nodeId: 'leaving' });
    const survivor = await openRedisStores(redis.url, { prefix, nodeId: 'staying' });
    opened.push(survivor);
    const nodes = () => survivor.connections.commands.sMembers(redisKeys(prefix).nodes);
    expect((await nodes()).sort()).toEqual(['leaving', 'staying']);
    await leaving.presence.add(general, ana, 'l1');
    await leaving.presence.remove(general, 'ana', 'l1');
    await leaving.close();
    expect(await nodes()).toEqual(['staying']);
    expect(await survivor.presence.sweep()).toEqual([]);
  });
});

describe('while Redis is unreachable', () => {
  it('store calls fail fast as unavailable, then work again once it is back', async () => {
    // Persistent, as production runs it: what was written before the crash is there after.
    const own = await startRedis({ persistent: true });
    try {
      const stores = await openRedisStores(own.url, { commandTimeoutMs: 500 });
      opened.push(stores);
      await stores.presence.add(general, ana, 's1');
      await own.kill();
      for (const attempt of [
        () => stores.history.append(general, { author: ana, text: 'x', clientMsgId: 'x' }),
        () => stores.presence.members(general),
        () =>
          stores.history.append(
            general,
            { author: ana, text: 'y', clientMsgId: 'y' },
            { rates: { sender: { perSecond: 1, burst: 1 } } },
          ),
        () => stores.rooms.page('acme', { limit: 10, visibility: 'public' }),
      ]) {
        const started = Date.now();
        await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(1000);
      }
      expect(await stores.ready()).toBe(false);
      // Ana's connection closes during the outage: the removal fails now, and is retried later.
      await expect(stores.presence.remove(general, 'ana', 's1')).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );

      await own.restart();
      const deadline = Date.now() + 5000;
      while (!(await stores.ready()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await stores.ready()).toBe(true);
      expect(await stores.presence.members(general)).toEqual([ana]);
      expect(await stores.presence.sweep()).toEqual([{ ref: general, member: ana }]);
      expect(await stores.presence.members(general)).toEqual([]);
      expect(await stores.presence.sweep()).toEqual([]);
    } finally {
      await own.stop();
    }
  });
});
