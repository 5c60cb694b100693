import { WebhookEvent } from '@parley/protocol';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import {
  call,
  connected,
  openClient,
  sleep,
  TEST_SECRET,
  type TestServer,
} from '../../test/helpers';
import { type NodeProcess, spawnNode } from '../../test/node-process';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../test/redis';
import {
  countById,
  startWebhookReceiver,
  typesOf,
  type WebhookReceiver,
} from '../../test/webhook-receiver';
import { redisKeys } from '../stores/redis/keys';
import { newEventId } from '../webhooks/emitter';

/** Webhooks from a cluster: the queue is shared in Redis, and each event is sent once. */
let redis: TestRedis;
let receiver: WebhookReceiver;
let nodes: TestServer[] = [];
let doomed: NodeProcess | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await doomed?.kill();
  doomed = undefined;
  await Promise.all(nodes.map((node) => node.close()));
  nodes = [];
  await receiver.close();
});

function webhookEnv() {
  return {
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: 'whsec-cluster-0123456789',
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_PRESENCE_COALESCE_MS: '0',
  };
}

/** Deliveries still queued in Redis under `prefix`: due, waiting for a retry, or in flight. */
async function queuedUnder(prefix: string): Promise<number> {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const keys = redisKeys(prefix);
    const lanes = (['messages', 'presence'] as const).map((lane) => keys.webhookLane(lane).due);
    return (await Promise.all(lanes.map((due) => client.zCard(due)))).reduce((x, y) => x + y);
  } finally {
    client.destroy();
  }
}

/**
 * Every node stopped (each waits for the deliveries it has in flight) and nothing left queued in
 * Redis: what the receiver got is all it will ever get, without waiting a fixed time for a
 * duplicate that might still come.
 */
async function stopAndDrain(prefix: string) {
  await Promise.all(nodes.map((node) => node.close()));
  expect(await queuedUnder(prefix)).toBe(0);
}

function expectEachEventOnce() {
  for (const [id, count] of countById(receiver.received))
    expect({ id, count }).toEqual({ id, count: 1 });
  for (const { body } of receiver.received) WebhookEvent.parse(JSON.parse(body));
}

describe('webhooks across nodes', () => {
  it('users on two nodes: every event is delivered exactly once, whichever node produced it', async () => {
    const prefix = uniquePrefix();
    nodes = await startCluster(redis.url, 2, { ...webhookEnv(), REDIS_KEY_PREFIX: prefix });
    const [a, b] = nodes as [TestServer, TestServer];
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    await call(ana, 'message:send', { room: 'general', text: 'from A', clientMsgId: 'a1' });
    await call(bo, 'message:send', { room: 'general', text: 'from B', clientMsgId: 'b1' });
    await call(ana, 'room:leave', { room: 'general' });
    bo.disconnect();

    await receiver.waitFor((r) => typesOf(r).length === 8);
    await stopAndDrain(prefix); // a duplicate, had any node sent one, is in by now
    expect(typesOf(receiver.received)).toEqual([
      'member.joined',
      'member.joined',
      'member.left',
      'member.left',
      'message.created',
      'message.created',
      'room.occupied',
      'room.vacated',
    ]);
    expectEachEventOnce();
    const texts = receiver.received
      .map((r) => WebhookEvent.parse(r.json))
      .flatMap((e) =>
        e.type === 'message.created' ? [[e.data.message.text, e.data.message.seq]] : [],
      );
    expect(texts.sort()).toEqual([
      ['from A', 1],
      ['from B', 2],
    ]);
  });

  it('any node sends what is queued in Redis, each delivery once, and a lapsed claim is retried', async () => {
    const prefix = uniquePrefix();
    nodes = await startCluster(redis.url, 2, { ...webhookEnv(), REDIS_KEY_PREFIX: prefix });
    // A third party on the same Redis: queues 20 events and claims one as a worker would, then
    // "dies" without sending it. The two nodes find them by polling.
    const producer = await openRedisStores(redis.url, { prefix });
    try {
      const events = Array.from({ length: 20 }, (_, i) => ({
        id: newEventId(),
        type: 'room.occupied' as const,
        createdAt: new Date().toISOString(),
        workspace: 'acme',
        data: { room: `r${i}` },
      }));
      for (const event of events) {
        await producer.webhookQueues.messages.enqueue([
          {
            id: `${event.id}.0`,
            url: receiver.url,
            eventId: event.id,
            eventType: event.type,
            body: JSON.stringify(event),
          },
        ]);
      }
      const { claimed } = await producer.webhookQueues.messages.claim({
        max: 1,
        leaseMs: 300,
        maxAttempts: 10,
      });
      expect(claimed).toHaveLength(1);
      await receiver.waitFor((r) => typesOf(r).length === 20, 4000);
      await stopAndDrain(prefix);
      expect(receiver.received).toHaveLength(20);
      expectEachEventOnce();
    } finally {
      await producer.close();
    }
  });

  it('a user of a node killed with SIGKILL leaves once, reported by the survivor that swept it', async () => {
    const prefix = uniquePrefix();
    const ttlSeconds = 3;
    const env = {
      ...webhookEnv(),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      PRESENCE_TTL_SECONDS: String(ttlSeconds),
    };
    nodes = await startCluster(redis.url, 2, env);
    const [b] = nodes as [TestServer];
    doomed = await spawnNode({ ...env, NODE_ID: 'doomed', PARLEY_AUTH_SECRET: TEST_SECRET });
    const cara = openClient(doomed.url, 'acme', await b.token('Cara', { sub: 'cara' }));
    await connected(cara);
    await call(cara, 'room:join', { room: 'ops' });
    await receiver.waitFor((r) => typesOf(r).length === 2);
    // Acknowledged too, before the kill: a delivery its node dies holding is sent again once
    // its claim lapses (at least once, by design), which is not what this test is about.
    await expect.poll(() => queuedUnder(prefix), { timeout: 5000 }).toBe(0);

    await doomed.kill();
    await receiver.waitFor((r) => typesOf(r).length === 4, 5000);
    // Two more sweep intervals (a sixth of the TTL each) for a survivor to report Cara again,
    // were it to; then stopped and drained, so that any such report is in by the assertions.
    await sleep(2 * ((ttlSeconds * 1000) / 6));
    await stopAndDrain(prefix);
    expect(typesOf(receiver.received)).toEqual([
      'member.joined',
      'member.left',
      'room.occupied',
      'room.vacated',
    ]);
    expectEachEventOnce();
    const left = receiver.received
      .map((r) => WebhookEvent.parse(r.json))
      .find((e) => e.type === 'member.left');
    expect(left?.data).toEqual({ room: 'ops', member: { id: 'cara', name: 'Cara' } });
    cara.close();
  });
});
