import { HistoryResponse, type Message } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, messagesOf, nextEvent, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/** The server API on one node of a cluster reaches sockets on every node. */
const KEY = 'cluster-key-0123456789abcdefghij';
let redis: TestRedis;
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
beforeEach(async () => {
  [a, b] = (await startCluster(redis.url, 2, { PARLEY_API_KEYS: `backend:${KEY}` })) as [
    TestServer,
    TestServer,
  ];
});
afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
});

function api(node: TestServer, path: string, method = 'GET', body?: unknown) {
  return fetch(`${node.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function usersOnBothNodes(room: string) {
  const ana = await a.connect('acme', await a.token('Ana'));
  const bo = await b.connect('acme', await b.token('Bo'));
  await call(ana, 'room:join', { room });
  await call(bo, 'room:join', { room });
  return { ana, bo };
}

describe('server API across nodes', () => {
  it('a published message reaches sockets on both nodes and is in history with its seq', async () => {
    const { ana, bo } = await usersOnBothNodes('deploys');
    await call(bo, 'message:send', { room: 'deploys', text: 'before', clientMsgId: 'x' });
    const atAna = nextEvent(ana, 'message:new', (m) => m.author.kind === 'integration');
    const atBo = nextEvent(bo, 'message:new', (m) => m.author.kind === 'integration');
    const response = await api(a, '/workspaces/acme/rooms/deploys/messages', 'POST', {
      text: 'Deployed v2.3',
      author: { name: 'Deploy bot' },
    });
    expect(response.status).toBe(201);
    const { message } = (await response.json()) as { message: Message };
    expect(message.seq).toBe(2);
    expect(await atAna).toEqual(message);
    expect(await atBo).toEqual(message);
    // Read through the other node.
    const history = HistoryResponse.parse(
      await (await api(b, '/workspaces/acme/rooms/deploys/messages')).json(),
    );
    expect(messagesOf(history.messages).map((m) => [m.seq, m.text])).toEqual([
      [1, 'before'],
      [2, 'Deployed v2.3'],
    ]);
  });

  it('a transient event and a topic change reach sockets on both nodes', async () => {
    const { ana, bo } = await usersOnBothNodes('builds');
    const events = [nextEvent(ana, 'room:event'), nextEvent(bo, 'room:event')];
    expect(
      (
        await api(b, '/workspaces/acme/rooms/builds/events', 'POST', {
          type: 'progress',
          data: { pct: 50 },
        })
      ).status,
    ).toBe(202);
    for (const event of await Promise.all(events)) {
      expect(event).toEqual({ room: 'builds', type: 'progress', data: { pct: 50 } });
    }
    const topics = [
      nextEvent(ana, 'room:updated', (u) => u.topic === 'Release day'),
      nextEvent(bo, 'room:updated', (u) => u.topic === 'Release day'),
    ];
    expect(
      (await api(a, '/workspaces/acme/rooms/builds/topic', 'PUT', { topic: 'Release day' })).status,
    ).toBe(200);
    for (const update of await Promise.all(topics))
      expect(update).toMatchObject({ room: 'builds', memberCount: 2 });
  });

  it('answers 503 while Redis is unreachable, and works again once it is back', async () => {
    const own = await startRedis();
    const [node] = (await startCluster(own.url, 1, { PARLEY_API_KEYS: `backend:${KEY}` })) as [
      TestServer,
    ];
    try {
      await own.kill();
      const down = await api(node, '/workspaces/acme/rooms/general/messages', 'POST', {
        text: 'lost?',
        author: { name: 'CI' },
        clientMsgId: 'outage-1',
      });
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: { code: 'unavailable' } });
      await own.restart();
      await expect
        .poll(async () => (await fetch(`${node.url}/readyz`)).status, {
          timeout: 8000,
          interval: 200,
        })
        .toBe(200);
      const retried = await api(node, '/workspaces/acme/rooms/general/messages', 'POST', {
        text: 'lost?',
        author: { name: 'CI' },
        clientMsgId: 'outage-1',
      });
      expect([200, 201]).toContain(retried.status);
    } finally {
      await node.close();
      await own.stop();
    }
  });
});
