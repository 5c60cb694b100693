import { randomUUID } from 'node:crypto';
import { Agent, get } from 'node:http';
import { type ChatSocket, createChatClient, request } from '@parley/protocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, TEST_SECRET } from '../../test/helpers';
import { type NodeProcess, spawnNode } from '../../test/node-process';
import { type ProxyKind, startProxy, type TestProxy, waitFor } from '../../test/proxies';
import { startRedis, type TestRedis, uniquePrefix } from '../../test/redis';
import { createTokenService } from '../auth/tokens';

/**
 * deploy/nginx.conf and deploy/haproxy.cfg, run by Debian's nginx and HAProxy in front of two
 * real node processes: one node is killed (SIGKILL) and restarted, then the other is killed, and
 * every client must be back, in its room, sending and receiving, within BOUND_MS of each kill.
 * (With the max_fails=3 fail_timeout=10s that deploy.md once showed, nginx kept the restarted
 * node "failed" while its websockets lived: after B's kill the clients came back from 9 s to
 * 75 s later. Without stickiness, `least_conn`, 6 of the 10 polling clients were not in after
 * 10 s.)
 */
const CLIENTS = 40;
/** The first ones start with long-polling and upgrade, as browsers with Parley's defaults do. */
const POLLING_CLIENTS = 10;
const BOUND_MS = 5000;
const ROOM = 'lobby';

interface AppClient {
  socket: ChatSocket;
  address: string;
  /** When the request behind the latest successful `room:join` was sent. */
  joinedAt: number;
  disconnects: number;
  failures: string[];
  received: Set<string>;
}

const tokens = createTokenService(TEST_SECRET);

/** A distinct loopback source address per client: the proxies hash on it, Parley limits on it. */
function addressOf(index: number): string {
  return `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

function open(url: string, token: string, index: number, reconnection = true): ChatSocket {
  return createChatClient({
    url,
    workspace: 'acme',
    token,
    transports: index < POLLING_CLIENTS ? ['polling', 'websocket'] : ['websocket'],
    forceNew: true,
    reconnection,
    // socket.io-client's defaults, spelled out: the first retry 0.5–1.5 s after a drop, then
    // doubling up to 5 s, each ±50 %.
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
    // Both transports connect through it (socket.io-client's type only knows browser agents).
    agent: new Agent({ localAddress: addressOf(index) }) as unknown as string,
  });
}

/** An engine.io handshake from `localAddress`: its status and body. */
function handshake(url: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${url}/socket.io/?EIO=4&transport=polling`, { localAddress }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(`${response.statusCode} ${body}`));
    }).on('error', reject);
  });
}

async function join(client: AppClient): Promise<void> {
  const sentAt = Date.now();
  const answer = await request(client.socket, 'room:join', { room: ROOM }, 5000);
  if (answer.ok) client.joinedAt = Math.max(client.joinedAt, sentAt);
  else if (client.socket.connected) client.failures.push(answer.error.code);
}

/** A client as an app runs it: reconnects by itself and re-joins its room on every connect. */
async function appClient(url: string, index: number): Promise<AppClient> {
  const { token } = await tokens.issue({
    sub: `user-${index}`,
    name: `User ${index}`,
    workspaces: '*',
    ttlSeconds: 600,
  });
  const client: AppClient = {
    socket: open(url, token, index),
    address: addressOf(index),
    joinedAt: -1,
    disconnects: 0,
    failures: [],
    received: new Set(),
  };
  client.socket.on('connect', () => void join(client));
  client.socket.on('disconnect', () => {
    client.disconnects++;
  });
  client.socket.on('message:new', (message) => client.received.add(message.text));
  return client;
}

function describeClients(clients: AppClient[], since: number): string {
  const behind = clients.filter((client) => client.joinedAt < since);
  return `${behind.length} of ${clients.length} not back (${behind
    .slice(0, 5)
    .map((c) => `${c.address}: ${c.socket.connected ? 'connected' : 'disconnected'}`)
    .join(', ')}); failures: ${clients.flatMap((c) => c.failures).join(', ') || 'none'}`;
}

/**
 * Kills a node and measures until every client has joined again with a request sent after the
 * kill (for clients that never lost their connection: a round trip made now), every client has
 * sent a message and every client has received everyone's.
 */
async function failOver(
  clients: AppClient[],
  kill: () => Promise<void>,
  label: string,
): Promise<{ ms: number; moved: number }> {
  const disconnectsBefore = clients.map((client) => client.disconnects);
  const killedAt = Date.now();
  await kill();
  for (const client of clients) void join(client);
  await waitFor(
    `${label}: clients not back`,
    async () => clients.every((client) => client.joinedAt >= killedAt),
    BOUND_MS * 3,
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${describeClients(clients, killedAt)}`);
  });
  const texts = clients.map((_, i) => `${label} from ${i}`);
  await Promise.all(
    clients.map((client, i) =>
      call(client.socket, 'message:send', {
        room: ROOM,
        text: texts[i] as string,
        clientMsgId: randomUUID(),
      }),
    ),
  );
  await waitFor(
    `${label}: not every message reached every client`,
    async () =>
      clients.every((client, i) => texts.every((text, j) => i === j || client.received.has(text))),
    BOUND_MS * 3,
  );
  const ms = Date.now() - killedAt;
  const moved = clients.filter((client, i) => client.disconnects > (disconnectsBefore[i] ?? 0));
  return { ms, moved: moved.length };
}

let redis: TestRedis;
let clients: AppClient[] = [];
let nodes: NodeProcess[] = [];
let proxy: TestProxy | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const client of clients) client.socket.disconnect();
  clients = [];
  await proxy?.stop();
  proxy = undefined;
  await Promise.all(nodes.map((node) => node.kill()));
  nodes = [];
});
afterAll(() => redis.stop());

describe.each(['nginx', 'haproxy'] satisfies ProxyKind[])('%s from deploy/', (kind) => {
  it(`brings ${CLIENTS} clients back within ${BOUND_MS / 1000} s of a kill, also after a restarted node takes over`, async () => {
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix(),
      PARLEY_AUTH_SECRET: TEST_SECRET,
      // The proxy's X-Forwarded-For gives every client its own address, limited to one
      // connection: were the header missing, the second client would be refused.
      TRUSTED_PROXIES: '127.0.0.1',
      MAX_CONNECTIONS_PER_ADDRESS: '1',
    };
    const start = (name: string, port = '0') => spawnNode({ ...env, NODE_ID: name, PORT: port });
    const [a, b] = await Promise.all([start('a'), start('b')]);
    nodes = [a, b];
    const portOf = (node: NodeProcess) => new URL(node.url).port;
    const lb = await startProxy(kind, { nodes: nodes.map((node) => `127.0.0.1:${portOf(node)}`) });
    proxy = lb;
    const url = lb.url;

    clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => appClient(url, i)));
    await waitFor(
      'clients did not all join',
      async () => clients.every((client) => client.joinedAt >= 0),
      10_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${describeClients(clients, 0)}\n${lb.output()}`);
    });
    // One more connection from a client's address is refused, one from a new address is not:
    // the nodes see each client's own address, forwarded by the proxy.
    expect(await handshake(url, addressOf(0))).toMatch(/^403 .*rate_limited: 1 connections/);
    expect(await handshake(url, addressOf(CLIENTS))).toMatch(/^200 /);

    const aKilled = await failOver(clients, () => a.kill(), 'after A died');
    console.log(
      `[${kind}] A killed: ${aKilled.moved} of ${CLIENTS} clients moved; everyone back and messaging in ${aKilled.ms} ms`,
    );
    expect(aKilled.moved).toBeGreaterThan(0);
    expect(aKilled.ms).toBeLessThan(BOUND_MS);

    // A again, on its port, and in the proxy's rotation (HAProxy: its health checks say UP).
    const restarted = await start('a', portOf(a));
    nodes.push(restarted);
    await waitFor(
      'the restarted node is not ready',
      async () => (await fetch(`${restarted.url}/readyz`)).status === 200,
      10_000,
    );
    await waitFor(`${kind} does not route to the restarted node`, () => lb.routesTo(0), 10_000);

    const afterRestart = await failOver(clients, () => b.kill(), 'after B died');
    console.log(
      `[${kind}] A restarted, B killed: ${afterRestart.moved} of ${CLIENTS} clients moved; everyone back and messaging in ${afterRestart.ms} ms`,
    );
    expect(afterRestart.moved).toBe(CLIENTS);
    expect(afterRestart.ms).toBeLessThan(BOUND_MS);
  }, 60_000);
});
