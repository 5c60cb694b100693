import { type ChatSocket, createChatClient } from '@parley/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, collect, connected, TEST_SECRET } from '../../test/helpers';
import { exitOf, type NodeProcess, spawnNode } from '../../test/node-process';
import { startRedis, type TestRedis, uniquePrefix } from '../../test/redis';
import { freePorts, waitFor } from '../../test/redis-process';
import { createTokenService } from '../auth/tokens';

/**
 * PARLEY_WORKERS=2 as a user runs it: `main.ts` in a process of its own (the primary), two
 * cluster workers, a real Redis. Long-polling clients prove the stickiness: each of their
 * requests is a connection of its own (workers answer `Connection: close`) that the primary must
 * route to the worker holding the session. Routed anywhere else, it is answered
 * `400 Session ID unknown` and the client disconnects (tried: with the session id ignored by the
 * primary, no polling client got through its join).
 */
const OPS_KEY = 'ops-key-0123456789abcdefghijklmn';
const ROOM = 'lobby';
const NODE_ID = 'host-a';
const BOUND_MS = 15_000;

const tokens = createTokenService(TEST_SECRET);

interface Client {
  name: string;
  socket: ChatSocket;
  /** Every `message:new` it received. */
  received: { text: string }[];
  disconnects: number;
}

/** `upgrade`: Socket.IO's default, as browsers run it: long-polling first, then a websocket. */
type Transport = 'websocket' | 'polling' | 'upgrade';

async function openClient(url: string, name: string, transport: Transport) {
  const { token } = await tokens.issue({ sub: name, name, workspaces: '*', ttlSeconds: 3600 });
  const socket = createChatClient({
    url,
    workspace: 'acme',
    token,
    transports: transport === 'upgrade' ? ['polling', 'websocket'] : [transport],
    forceNew: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
  });
  const client: Client = { name, socket, received: collect(socket, 'message:new'), disconnects: 0 };
  socket.on('disconnect', () => client.disconnects++);
  // As the web app does: every (re)connection joins the room again.
  socket.on('connect', () => {
    void call(socket, 'room:join', { room: ROOM }).catch(() => {});
  });
  await connected(socket);
  await call(socket, 'room:join', { room: ROOM });
  return client;
}

/** Every client sends one message; resolves once every other client has received it. */
async function exchange(clients: Client[], tag: string, timeoutMs = BOUND_MS): Promise<void> {
  for (const client of clients) {
    await call(client.socket, 'message:send', {
      room: ROOM,
      text: `${tag} from ${client.name}`,
      clientMsgId: `${tag}-${client.name}`,
    });
  }
  // A sender gets its own message in the acknowledgement, not as `message:new`.
  const expected = (client: Client) =>
    JSON.stringify(
      clients
        .filter((other) => other !== client)
        .map((other) => `${tag} from ${other.name}`)
        .sort(),
    );
  const heard = (client: Client) =>
    JSON.stringify(
      client.received
        .map((message) => message.text)
        .filter((text) => text.startsWith(`${tag} `))
        .sort(),
    );
  await waitFor(`"${tag}" from every client at every other`, timeoutMs, async () =>
    clients.every((client) => heard(client) === expected(client)),
  );
}

async function opsNodes(url: string): Promise<{ id: string; connections: number }[]> {
  const response = await fetch(`${url}/api/v1/ops`, {
    headers: { authorization: `Bearer ${OPS_KEY}` },
  });
  const body = (await response.json()) as { nodes: { id: string; connections: number }[] };
  return body.nodes;
}

/** The pid of the latest `worker started` line for worker `index`. */
function workerPid(output: string, index: number): number | undefined {
  const pattern = new RegExp(`"worker":${index},"pid":(\\d+),"msg":"worker started"`, 'g');
  const pids = [...output.matchAll(pattern)].map((match) => Number(match[1]));
  return pids.at(-1);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('PARLEY_WORKERS=2 on one host', () => {
  let redis: TestRedis;
  let node: NodeProcess;
  let metricsPort: number;
  const clients: Client[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    // Worker i serves metrics on METRICS_PORT + i: both must be free.
    metricsPort = await freePorts(2);
    node = await spawnNode({
      NODE_ENV: 'test',
      PARLEY_WORKERS: '2',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix(),
      NODE_ID,
      PARLEY_AUTH_SECRET: TEST_SECRET,
      PARLEY_API_KEYS: `ops:${OPS_KEY}`,
      // Heartbeat reports (the ops overview) every second.
      PRESENCE_TTL_SECONDS: '3',
      PRESENCE_GRACE_MS: '0',
      METRICS_PORT: String(metricsPort),
      RATE_CONNECTIONS_PER_SECOND: '0',
      MAX_CONNECTIONS_PER_ADDRESS: '0',
      RATE_MESSAGES_PER_SECOND: '1000',
      RATE_MESSAGES_BURST: '1000',
      RATE_EVENTS_PER_SECOND: '1000',
      RATE_EVENTS_BURST: '1000',
    });
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.socket.disconnect();
    if (node) await node.kill();
    // Workers exit by themselves when their primary is gone (killed or not).
    const pids = [0, 1].map((index) => workerPid(node?.output() ?? '', index));
    for (const pid of pids) {
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await redis?.stop();
  }, 30_000);

  it('websocket-only, long-polling-only and upgrading clients share a room, request after request', async () => {
    for (let index = 0; index < 4; index++) {
      clients.push(await openClient(node.url, `ws${index}`, 'websocket'));
      clients.push(await openClient(node.url, `poll${index}`, 'polling'));
    }
    // Their upgrade request carries the session id too: it must reach the same worker.
    for (let index = 0; index < 2; index++) {
      clients.push(await openClient(node.url, `up${index}`, 'upgrade'));
    }
    await exchange(clients, 'hello');
    // Many requests per polling session, each on a connection the primary routes.
    for (let round = 0; round < 10; round++) await exchange(clients, `round${round}`);
    expect(clients.map((client) => client.disconnects)).toEqual(clients.map(() => 0));
  }, 120_000);

  it('spreads connections over both workers, each with a node id of its own', async () => {
    await expect
      .poll(
        async () =>
          (await opsNodes(node.url))
            .filter((reported) => reported.connections > 0)
            .map((reported) => reported.id)
            .sort(),
        { timeout: BOUND_MS },
      )
      .toEqual([`${NODE_ID}-w0`, `${NODE_ID}-w1`]);
  });

  it('serves /healthz and /readyz through whichever worker takes the connection', async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    }
  });

  it('serves each worker’s metrics on METRICS_PORT + its index, none on the public port', async () => {
    for (const index of [0, 1]) {
      const response = await fetch(`http://127.0.0.1:${metricsPort + index}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('parley_connections');
    }
    expect((await fetch(`${node.url}/metrics`)).status).toBe(404);
  });

  it('restarts a worker killed with SIGKILL; its clients reconnect and carry on', async () => {
    const output = node.output();
    const doomed = workerPid(output, 0);
    expect(doomed).toBeDefined();
    process.kill(doomed as number, 'SIGKILL');
    await waitFor('worker 0 restarted and ready', BOUND_MS, async () => {
      const now = node.output();
      const pid = workerPid(now, 0);
      return (
        pid !== undefined &&
        pid !== doomed &&
        new RegExp(`"worker":0,"pid":${pid},"msg":"worker ready"`).test(now)
      );
    });
    expect(node.output()).toMatch(/"worker":0,"pid":\d+,"code":null,"signal":"SIGKILL"/);
    // The killed worker's clients dropped; every client is connected again and in the room.
    expect(clients.some((client) => client.disconnects > 0)).toBe(true);
    await waitFor('every client reconnected', BOUND_MS, async () =>
      clients.every((client) => client.socket.connected),
    );
    // A message sent before a client's rejoin landed would not reach it: retry the exchange.
    await waitFor('messages between every client after the restart', 2 * BOUND_MS, async () => {
      try {
        await exchange(clients, `after${Date.now()}`, 5000);
        return true;
      } catch {
        return false;
      }
    });
  }, 90_000);

  it('on SIGTERM, has every worker shut down gracefully and exits 0', async () => {
    const workers = [0, 1].map((index) => workerPid(node.output(), index) as number);
    const exited = exitOf(node);
    node.child.kill('SIGTERM');
    // Drain 0, grace 0 (test settings) + SHUTDOWN_TIMEOUT_MS 10 s: the bound of a clean exit.
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timed out'), 15_000)),
    ]);
    expect(code).toBe(0);
    for (const pid of workers) {
      expect(node.output()).toMatch(new RegExp(`"pid":${pid},"code":0,"signal":null`));
      await waitFor(`worker ${pid} gone`, BOUND_MS, async () => !alive(pid));
    }
  }, 30_000);
});

describe('PARLEY_WORKERS without Redis', () => {
  it('refuses to start, saying why', async () => {
    await expect(
      spawnNode({
        PARLEY_WORKERS: '2',
        REDIS_URL: '',
        REDIS_SENTINELS: '',
        REDIS_CLUSTER_NODES: '',
        PARLEY_AUTH_SECRET: TEST_SECRET,
      }),
    ).rejects.toThrow(/exited with 1: .*PARLEY_WORKERS: more than one worker process needs Redis/s);
  });
});
