import type { Message } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { createCluster } from '@redis/client';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeAccessContract } from '../../../test/access-contract';
import {
  call,
  collect,
  messagesOf,
  nextEvent,
  sleep,
  startServer,
  type TestServer,
} from '../../../test/helpers';
import { openRedisStores, uniquePrefix } from '../../../test/redis';
import { startRedisCluster, type TestRedisCluster } from '../../../test/redis-cluster';
import { command } from '../../../test/redis-process';
import { describeStoreContract, describeWebhookQueueContract } from '../../../test/store-contract';
import type { Environment, RedisTopology } from '../../config';
import { describeJoinContract } from '../join-contract';
import { createRedisConnections } from './connections';
import { clusterRediscovery } from './connections/node-redis-internals';
import { redisKeys } from './keys';
import { createRedisWebhookQueue } from './webhook-queue';

/**
 * Parley on a Redis Cluster of three masters, each with a replica: the stores' contracts (every
 * script and transaction must stay within one slot, or Redis refuses it with CROSSSLOT), two
 * servers whose users talk across nodes, and a master killed mid-conversation.
 */
let redis: TestRedisCluster;
beforeAll(async () => {
  redis = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
}, 30_000);
afterAll(() => redis?.stop());

const topology = (): RedisTopology => ({ kind: 'cluster', nodes: redis.rootNodes });
const silent = pino({ level: 'silent' });

/** What a test opened and did not close (it failed half-way): closed after it. */
const opened = new Set<{ close(): Promise<void> }>();
afterEach(async () => {
  const left = [...opened];
  opened.clear();
  await Promise.all(left.map((each) => each.close()));
});
function closedAfterTest<T extends { close(): Promise<void> }>(handle: T): T {
  const close = handle.close;
  handle.close = async () => {
    opened.delete(handle);
    await close();
  };
  opened.add(handle);
  return handle;
}

const openStores = async (limits: { historyRetention: number }) =>
  closedAfterTest(await openRedisStores(topology(), { limits }));
describeStoreContract('redis cluster', openStores);
describeAccessContract('redis cluster', openStores);
// A join's reads there: each from its own store (its history lives in another slot).
describeJoinContract('redis cluster', openStores);
describeWebhookQueueContract('redis cluster', async ({ capacity }) => {
  const prefix = uniquePrefix();
  const connections = createRedisConnections(
    { topology: topology(), keyPrefix: prefix, shardedPubSub: true, commandTimeoutMs: 1000 },
    silent,
  );
  await connections.open();
  return closedAfterTest({
    queue: createRedisWebhookQueue(connections.commands, redisKeys(prefix), {
      capacity,
      lane: 'messages',
    }),
    close: () => connections.close(),
  });
});

/** Servers on the cluster, one key prefix: nodes of one deployment. */
async function startNodes(count: number, overrides: Environment = {}): Promise<TestServer[]> {
  const prefix = uniquePrefix();
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startServer({
        REDIS_CLUSTER_NODES: redis.rootNodes.map(({ host, port }) => `${host}:${port}`).join(','),
        REDIS_KEY_PREFIX: prefix,
        NODE_ID: `node-${i}`,
        ...overrides,
      }),
    );
  }
  for (const node of nodes) opened.add(node);
  return nodes;
}

describe('redis cluster: two servers', () => {
  it('users on different nodes hear each other: messages, presence, typing and lobby counts', async () => {
    const [a, b] = (await startNodes(2)) as [TestServer, TestServer];
    expect(a.config.redis).toMatchObject({ topology: { kind: 'cluster' }, shardedPubSub: true });
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
    const lobby = await b.connect('acme', await b.token('Lobby'));
    await call(lobby, 'room:list', {}); // a lobby: it hears every room's count
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(bo, 'room:join', { room: 'general' });
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const joined = nextEvent(bo, 'presence:joined');
    const counted = nextEvent(
      lobby,
      'room:updated',
      (u) => u.room === 'general' && u.memberCount === 2,
    );
    await call(ana, 'room:join', { room: 'general' });
    expect(await joined).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    await counted;

    const typing = nextEvent(bo, 'typing:changed');
    ana.emit('typing:set', { room: 'general', typing: true });
    expect(await typing).toMatchObject({ user: { id: 'ana' }, typing: true });
    const atBo = nextEvent(bo, 'message:new');
    const sent = await call(ana, 'message:send', {
      room: 'general',
      text: 'hi',
      clientMsgId: 'a1',
    });
    expect(sent.message.seq).toBe(1);
    expect(await atBo).toEqual(sent.message);
    const atAna = nextEvent(ana, 'message:new');
    const reply = await call(bo, 'message:send', {
      room: 'general',
      text: 'yo',
      clientMsgId: 'b1',
    });
    expect(reply.message.seq).toBe(2);
    expect(await atAna).toEqual(reply.message);
    // Ana's other tab, on the other node, resends: the original is answered.
    const anaOnB = await b.connect('acme', await b.token('Ana', { sub: 'ana' }));
    await call(anaOnB, 'room:join', { room: 'general' });
    const resent = await call(anaOnB, 'message:send', {
      room: 'general',
      text: 'hi',
      clientMsgId: 'a1',
    });
    expect(resent.message).toEqual(sent.message);
    anaOnB.disconnect();

    // Another room, in another slot (likely on another master), and its history on the other node.
    await call(ana, 'room:join', { room: 'design' });
    for (let i = 1; i <= 3; i++) {
      await call(ana, 'message:send', { room: 'design', text: `d${i}`, clientMsgId: `d${i}` });
    }
    await call(bo, 'room:join', { room: 'design' });
    const history = await call(bo, 'message:history', { room: 'design', limit: 10 });
    expect(messagesOf(history.messages).map((m) => [m.seq, m.text])).toEqual([
      [1, 'd1'],
      [2, 'd2'],
      [3, 'd3'],
    ]);

    const left = nextEvent(bo, 'presence:left', (e) => e.room === 'general');
    ana.disconnect();
    expect(await left).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
  });
});

interface Send {
  from: 'ana' | 'bo';
  clientMsgId: string;
  startedAt: number;
  ms: number;
  outcome: 'ok' | 'unavailable' | string;
  message?: Message;
}

describe('redis cluster: a master killed mid-conversation', () => {
  it('sends answer ok or unavailable in time, resume after the failover, and no acknowledged message is lost or doubled', async () => {
    const COMMAND_TIMEOUT_MS = 1000;
    const [a, b] = (await startNodes(2, {
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT_MS: '500',
    })) as [TestServer, TestServer];
    const prefix = a.config.redis?.keyPrefix ?? '';

    // A client of node-redis's own, without Parley's health check: it shows what node-redis
    // does by itself after a failover, and that the private rediscovery does reload the map.
    const plain = createCluster({
      rootNodes: redis.rootNodes.map(({ host, port }) => ({ socket: { host, port } })),
      defaults: { socket: { reconnectStrategy: () => 200 } },
    });
    plain.on('error', () => {});
    plain.on('node-error', () => {});
    await plain.connect();
    const stores = await openRedisStores(topology(), {
      prefix,
      limits: { historyRetention: 10_000 },
    });
    // Ana (on A) and Bo (on B) take turns sending, one at a time, until told to stop.
    const sends: Send[] = [];
    let sending = true;
    let conversation: Promise<void> = Promise.resolve();
    try {
      const masterPortOf = async (key: string) => (await redis.masterOf(key)).port;
      // A room whose keys and whose adapter channel (sharded pub/sub) are on one master: killing
      // it takes both, so the adapter's subscriptions must be renewed on the new master too.
      const channelOf = (name: string) => `${prefix}socket.io#/chat/acme#room:${name}#`;
      let room = '';
      for (let i = 0; !room; i++) {
        const candidate = `r${i}`;
        const keysOn = await masterPortOf(`{acme/${candidate}}`);
        if (keysOn === (await masterPortOf(channelOf(candidate)))) room = candidate;
      }
      const ref = { workspace: 'acme', room };
      /** How many nodes subscribe to the room's channel, on the master that serves it now. */
      const subscribers = async () => {
        const channel = channelOf(room);
        const reply = await command(await redis.masterOf(channel), [
          'PUBSUB',
          'SHARDNUMSUB',
          channel,
        ]);
        return Array.isArray(reply) ? Number(reply[1]) : undefined;
      };

      const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
      const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
      await call(ana, 'room:join', { room });
      await call(bo, 'room:join', { room });
      // Both nodes subscribe to the room's channel (named as the adapter names it).
      await expect.poll(subscribers).toBe(2);
      const heardByAna = collect(ana, 'message:new');
      const heardByBo = collect(bo, 'message:new');

      conversation = (async () => {
        for (let i = 0; sending; i++) {
          const from = i % 2 === 0 ? 'ana' : 'bo';
          const clientMsgId = `${from}-${i}`;
          const startedAt = Date.now();
          const answer = await request(
            from === 'ana' ? ana : bo,
            'message:send',
            { room, text: `message ${i}`, clientMsgId },
            5000,
          );
          sends.push({
            from,
            clientMsgId,
            startedAt,
            ms: Date.now() - startedAt,
            outcome: answer.ok ? 'ok' : answer.error.code,
            ...(answer.ok && { message: answer.message }),
          });
          await sleep(40);
        }
      })();
      const acknowledged = () => sends.filter((send) => send.outcome === 'ok');
      await expect.poll(() => acknowledged().length, { timeout: 5000 }).toBeGreaterThanOrEqual(6);

      const killed = await redis.killMasterOf(`{acme/${room}}`);
      const killedAt = Date.now();
      const failover = await redis.waitForClusterOk();
      // The new master has no replica: acknowledgements wait for the old master to rejoin as one.
      await redis.restart(killed.port);
      const rejoinedMs = Date.now() - killedAt;
      const recovered = () => acknowledged().find((send) => send.startedAt >= killedAt);
      await expect.poll(() => recovered(), { timeout: 15_000, interval: 50 }).toBeDefined();
      const recoveredMs = (recovered()?.startedAt ?? 0) + (recovered()?.ms ?? 0) - killedAt;
      expect(recoveredMs).toBeLessThan(15_000);

      // Messages flow both ways again, through the new master.
      const afterRecovery = acknowledged().length;
      await expect
        .poll(() => acknowledged().length, { timeout: 5000 })
        .toBeGreaterThanOrEqual(afterRecovery + 6);
      sending = false;
      await conversation;
      const lastFrom = (from: Send['from']) =>
        acknowledged().findLast((send) => send.from === from);
      const lastOfAna = lastFrom('ana')?.message;
      const lastOfBo = lastFrom('bo')?.message;
      await expect.poll(() => heardByBo.some((m) => m.id === lastOfAna?.id)).toBe(true);
      await expect.poll(() => heardByAna.some((m) => m.id === lastOfBo?.id)).toBe(true);

      // The adapter's sharded subscriptions followed the room's channel to its new master.
      await expect.poll(subscribers, { timeout: 5000 }).toBe(2);
      const cy = await a.connect('acme', await a.token('Cy', { sub: 'cy' }));
      const joined = nextEvent(bo, 'presence:joined', () => true, 5000);
      await call(cy, 'room:join', { room });
      expect(await joined).toEqual({ room, member: { id: 'cy', name: 'Cy' } });
      const typing = nextEvent(bo, 'typing:changed', () => true, 5000);
      cy.emit('typing:set', { room, typing: true });
      await typing;

      // Every send was answered, ok or unavailable (outcome unknown), within the deadline.
      const failed = sends.filter((send) => send.outcome !== 'ok');
      console.info(
        `redis cluster failover: slots taken over ${failover.ms} ms after the kill, old master back as a replica at ${rejoinedMs} ms, sends acknowledged again at ${recoveredMs} ms; ${sends.length} sends, ${failed.length} not acknowledged, the slowest answered in ${Math.max(...sends.map((send) => send.ms))} ms`,
      );
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((send) => send.outcome === 'unavailable')).toBe(true);
      expect(Math.max(...sends.map((send) => send.ms))).toBeLessThan(COMMAND_TIMEOUT_MS + 1000);

      // Every acknowledged message is in the history once, as acknowledged; seqs are unique and
      // increasing. Unacknowledged ones may be there (stored, then not confirmed), once at most.
      const history = (await stores.history.page(ref, { limit: 10_000 })).messages as Message[];
      const seqs = history.map((entry) => entry.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
      const byId = (clientMsgId: string) => history.filter((m) => m.clientMsgId === clientMsgId);
      for (const send of acknowledged()) expect(byId(send.clientMsgId)).toEqual([send.message]);
      for (const send of failed) expect(byId(send.clientMsgId).length).toBeLessThanOrEqual(1);
      // Nobody heard of a message that is not in the history (announced only once replicated).
      const stored = new Set(history.map((m) => m.id));
      for (const heard of [...heardByAna, ...heardByBo]) expect(stored.has(heard.id)).toBe(true);
      // Heard twice: not asserted (seen once in some forty runs, never reproduced; a client drops
      // a seq it has), but counted, with the subscriptions to the stored messages' channel: one a
      // node (a third would be a subscriber node-redis lost track of, still delivering).
      const heardTwice = [heardByAna, heardByBo]
        .map((heard) => heard.length - new Set(heard.map((m) => m.seq)).size)
        .reduce((x, y) => x + y);
      const channel = redisKeys(prefix).appendedChannel;
      let subscriptions = 0;
      for (const node of redis.rootNodes) {
        const reply = await command(node, ['PUBSUB', 'NUMSUB', channel]);
        subscriptions += Array.isArray(reply) ? Number(reply[1]) : 0;
      }
      console.info(
        `redis cluster failover: ${heardTwice} message(s) heard twice; ${subscriptions} subscriptions to the stored messages' channel`,
      );

      // node-redis alone still maps the slots to the dead master (redis/node-redis#2806):
      // nothing was sent to them, so no MOVED told it. The private rediscovery reloads the map.
      const plainMasters = () => plain.masters.map((master) => master.port);
      expect(plainMasters()).toContain(killed.port);
      const live = plain.masters.find((master) => master.port !== killed.port);
      const rediscover = clusterRediscovery(plain);
      if (!live || !rediscover) throw new Error('no live master, or no rediscovery');
      await rediscover(await plain.nodeClient(live));
      expect(plainMasters()).not.toContain(killed.port);
      expect(plainMasters()).toContain((await redis.masterOf(`{acme/${room}}`)).port);
    } finally {
      sending = false;
      await conversation;
      plain.destroy();
      await stores.close();
    }
  }, 45_000);
});
