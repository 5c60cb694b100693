import { OpsOverview } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, startServer, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/**
 * `GET /api/v1/ops`: the cluster as the nodes' heartbeat reports and the stores show it. The
 * other node's figures arrive with its next heartbeat, so they are polled for (heartbeats every
 * second: PRESENCE_TTL_SECONDS=3), never slept for.
 */
const KEY = 'ops-key-0123456789abcdefghijklmn';
const TENANT = 'tenant-key-0123456789abcdefghijk';
const KEYS = `ops:${KEY},tenant:${TENANT}:acme`;
const POLL = { timeout: 8000, interval: 100 };

async function ops(node: TestServer, key: string | null = KEY) {
  const response = await fetch(`${node.url}/api/v1/ops`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** The overview, checked against the protocol's schema. */
async function overview(node: TestServer): Promise<OpsOverview> {
  const { status, body } = await ops(node);
  expect(status).toBe(200);
  return OpsOverview.parse(body);
}

/** `count` users on `node`, each with one socket in `room` of `workspace`. */
async function inRoom(node: TestServer, workspace: string, room: string, count: number) {
  const sockets: ChatSocket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await node.connect(workspace, await node.token(`${room}-${i}`));
    await call(socket, 'room:join', { room });
    sockets.push(socket);
  }
  return sockets;
}

const nodeOf = (answer: OpsOverview, id: string) => answer.nodes.find((node) => node.id === id);

describe('operations overview across two nodes on Redis', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = (await startCluster(redis.url, 2, {
      PARLEY_API_KEYS: KEYS,
      PRESENCE_TTL_SECONDS: '3',
    })) as [TestServer, TestServer];
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it('lists both nodes with their connections and sums the busiest rooms over them', async () => {
    await inRoom(a, 'acme', 'general', 3);
    await inRoom(a, 'acme', 'random', 1);
    await inRoom(b, 'acme', 'general', 2);
    await inRoom(b, 'globex', 'general', 1);
    await b.connect('acme', await b.token('Idle')); // connected, in no room

    // Node 0 answers with its own report made now; node 1's arrives with its next heartbeat.
    await expect
      .poll(async () => {
        const answer = await overview(a);
        return {
          nodes: answer.nodes.map(({ id, connections, rooms }) => ({ id, connections, rooms })),
          busiestRooms: answer.busiestRooms,
        };
      }, POLL)
      .toEqual({
        nodes: [
          { id: 'node-0', connections: 4, rooms: 2 },
          { id: 'node-1', connections: 4, rooms: 2 },
        ],
        busiestRooms: [
          { workspace: 'acme', room: 'general', sockets: 5 },
          { workspace: 'acme', room: 'random', sockets: 1 },
          { workspace: 'globex', room: 'general', sockets: 1 },
        ],
      });

    const answer = await overview(b);
    expect(answer.store).toMatchObject({ kind: 'standalone', ok: true });
    expect(answer.store.latencyMs).toEqual(expect.any(Number));
    expect(answer.webhookBacklog).toEqual({ messages: 0, presence: 0 });
    for (const node of answer.nodes) {
      expect(Date.parse(node.startedAt)).toBeLessThanOrEqual(Date.parse(node.reportedAt));
      expect(Date.now() - Date.parse(node.reportedAt)).toBeLessThan(5000);
      expect(node.heapUsedBytes).toBeGreaterThan(0);
    }
  });

  it("counts a node's stored messages, seen by the other with its next heartbeat", async () => {
    const before = nodeOf(await overview(a), 'node-1')?.messagesStored ?? 0;
    const [sender] = await inRoom(b, 'acme', 'counted', 1);
    for (let i = 0; i < 3; i++) {
      await call(sender as ChatSocket, 'message:send', {
        room: 'counted',
        text: `m${i}`,
        clientMsgId: `counted-${i}`,
      });
    }
    // A resend of a stored message is not a new one.
    await call(sender as ChatSocket, 'message:send', {
      room: 'counted',
      text: 'm0',
      clientMsgId: 'counted-0',
    });
    // Its own node counts them at once; the other node hears with the next heartbeat.
    expect(nodeOf(await overview(b), 'node-1')?.messagesStored).toBe(before + 3);
    await expect
      .poll(async () => nodeOf(await overview(a), 'node-1')?.messagesStored, POLL)
      .toBe(before + 3);
    if (b.config.fastPath) {
      // The sender's own socket has its message in the acknowledgement; others got deliveries.
      expect(nodeOf(await overview(b), 'node-1')?.deliveries).toBeGreaterThan(0);
    }
  });

  it('answers 401 without a key or with an unknown one, 403 to a key for some workspaces', async () => {
    expect((await ops(a, null)).status).toBe(401);
    expect((await ops(a, 'not-a-key-0123456789abcdefghijkl')).status).toBe(401);
    const limited = await ops(a, TENANT);
    expect(limited.status).toBe(403);
    expect(limited.body).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('drops a node that shut down from the overview at once', async () => {
    await b.close();
    expect((await overview(a)).nodes.map((node) => node.id)).toEqual(['node-0']);
  });
});

describe('operations overview while Redis is down', () => {
  it('still answers: this node only, the store not ok, the backlog unknown', async () => {
    const redis = await startRedis();
    const [node] = (await startCluster(redis.url, 1, { PARLEY_API_KEYS: KEYS })) as [TestServer];
    try {
      await redis.kill();
      const answer = await overview(node);
      expect(answer.nodes.map((n) => n.id)).toEqual(['node-0']);
      expect(answer.store).toEqual({ kind: 'standalone', ok: false, latencyMs: null });
      expect(answer.webhookBacklog).toEqual({ messages: null, presence: null });
    } finally {
      await node.close();
      await redis.stop();
    }
  });
});

describe('operations overview in memory (one node)', () => {
  let t: TestServer;
  afterEach(() => t?.close());

  it('lists the one node, fresh, with its rooms and stored messages', async () => {
    t = await startServer({ PARLEY_API_KEYS: KEYS, NODE_ID: 'solo' });
    const [ana] = await inRoom(t, 'acme', 'general', 2);
    await call(ana as ChatSocket, 'message:send', {
      room: 'general',
      text: 'hi',
      clientMsgId: 'h',
    });
    const answer = await overview(t);
    expect(answer.nodes).toEqual([
      expect.objectContaining({ id: 'solo', connections: 2, rooms: 1, messagesStored: 1 }),
    ]);
    expect(answer.busiestRooms).toEqual([{ workspace: 'acme', room: 'general', sockets: 2 }]);
    expect(answer.store).toEqual({ kind: 'memory', ok: true, latencyMs: expect.any(Number) });
    expect(answer.webhookBacklog).toEqual({ messages: 0, presence: 0 });
  });

  it('lists at most 20 rooms, the busiest first', async () => {
    t = await startServer({ PARLEY_API_KEYS: KEYS });
    await inRoom(t, 'acme', 'crowded', 3);
    for (let i = 0; i < 22; i++) await inRoom(t, 'acme', `r${String(i).padStart(2, '0')}`, 1);
    const answer = await overview(t);
    expect(answer.nodes[0]?.rooms).toBe(23);
    expect(answer.busiestRooms).toHaveLength(20);
    expect(answer.busiestRooms[0]).toEqual({ workspace: 'acme', room: 'crowded', sockets: 3 });
  });
});
