import {
  type AckOf,
  type ClientEventName,
  type HistoryEntry,
  isChange,
  type Message,
  type PayloadInputOf,
  type ServerEventName,
  type ServerPayloadOf,
} from '@parley/protocol';
import { type ChatSocket, createChatClient, request } from '@parley/protocol/client';
import type { Socket } from 'socket.io-client';
import { createTokenService } from '../src/auth/tokens';
import { type Environment, type ParleyConfig, parseConfig } from '../src/config';
import { createParleyServer, type ParleyServer } from '../src/server';
import { namespacesOf } from '../src/socket/engine-internals';
import type { Stores } from '../src/stores/types';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

export function testConfig(overrides: Environment = {}): ParleyConfig {
  return parseConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    PARLEY_AUTH_SECRET: TEST_SECRET,
    // Tests of other behaviour send, create rooms and connect quickly from one address; the
    // tests of each limit set their own.
    RATE_MESSAGES_PER_SECOND: '1000',
    RATE_MESSAGES_BURST: '1000',
    RATE_ROOM_MESSAGES_PER_SECOND: '10000',
    RATE_ROOM_MESSAGES_BURST: '10000',
    RATE_ROOM_CREATES_PER_MINUTE: '100000',
    RATE_ROOM_CREATES_BURST: '100000',
    RATE_WORKSPACE_ROOM_CREATES_PER_MINUTE: '100000',
    RATE_WORKSPACE_ROOM_CREATES_BURST: '100000',
    RATE_GUEST_TOKENS_PER_MINUTE: '0',
    RATE_CONNECTIONS_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    // Departures at once: the tests of the grace set their own.
    PRESENCE_GRACE_MS: '0',
    FAST_PATH: process.env.FAST_PATH, // CI runs the delivery tests again with it off
    ...overrides,
  }).config;
}

export interface TestServer {
  url: string;
  server: ParleyServer;
  config: ParleyConfig;
  /** A token as the server's own guest endpoint or a team backend would mint it. */
  token(
    name: string,
    options?: {
      sub?: string;
      workspaces?: '*' | string[];
      ttlSeconds?: number;
      rooms?: string[];
      admin?: boolean;
    },
  ): Promise<string>;
  /** A connected client; closed by `close()`. */
  connect(workspace: string, token: string): Promise<ChatSocket>;
  close(): Promise<void>;
}

/**
 * Boots a real server on a free loopback port. Every client it hands out is closed with it.
 * `stores`: stores of the test's own making (in memory), for a test that watches them — the
 * webhook queues, say, to know when every delivery is done with.
 */
export async function startServer(
  overrides: Environment = {},
  { stores }: { stores?: Stores } = {},
): Promise<TestServer> {
  const config = testConfig(overrides);
  // What the last-resort guard catches is a bug: it fails the test at close.
  const unexpected: unknown[] = [];
  const server = createParleyServer(config, {
    onUnexpectedError: (error) => unexpected.push(error),
    ...(stores && { stores }),
  });
  const url = await server.listen();
  const tokens = createTokenService(config.auth.secret);
  const clients = new Set<ChatSocket>();
  let users = 0;

  return {
    url,
    server,
    config,
    async token(
      name,
      {
        sub = `user-${++users}-${name.toLowerCase()}`,
        workspaces = '*',
        ttlSeconds = 3600,
        rooms,
        admin,
      } = {},
    ) {
      return (await tokens.issue({ sub, name, workspaces, ttlSeconds, rooms, admin })).token;
    },
    async connect(workspace, token) {
      const socket = openClient(url, workspace, token);
      clients.add(socket);
      await connected(socket);
      return socket;
    },
    async close() {
      for (const socket of clients) socket.disconnect();
      await server.close();
      if (unexpected.length > 0) {
        throw new Error(`the request guard caught ${unexpected.length} error(s)`, {
          cause: unexpected[0],
        });
      }
    },
  };
}

/** A client that does not reconnect by itself, so tests control every connection. */
export function openClient(url: string, workspace: string, token: string): ChatSocket {
  return createChatClient({
    url,
    workspace,
    token,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
}

export function connected(socket: ChatSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/** The `connect_error` a refused connection gets. */
export function refusal(socket: ChatSocket): Promise<Error & { data?: { code?: string } }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, but a refusal was expected')));
    socket.once('connect_error', resolve);
  });
}

/** Sends an event and expects it to succeed; the failure's code is in the thrown message. */
export async function call<E extends ClientEventName>(
  socket: ChatSocket,
  event: E,
  payload: PayloadInputOf<E>,
): Promise<Extract<AckOf<E>, { ok: true }>> {
  const result = await request(socket, event, payload, 5000);
  if (!result.ok) throw new Error(`${event} failed: ${result.error.code}: ${result.error.message}`);
  return result as Extract<AckOf<E>, { ok: true }>;
}

/** Resolves with the next `event` that satisfies `match`. */
export function nextEvent<E extends ServerEventName>(
  socket: ChatSocket,
  event: E,
  match: (payload: ServerPayloadOf<E>) => boolean = () => true,
  timeoutMs = 3000,
): Promise<ServerPayloadOf<E>> {
  return new Promise((resolve, reject) => {
    // socket.io-client's typed `on` cannot follow a generic event name.
    const target = socket as unknown as {
      on(event: string, fn: (payload: ServerPayloadOf<E>) => void): void;
      off(event: string, fn: (payload: ServerPayloadOf<E>) => void): void;
    };
    const timer = setTimeout(() => {
      target.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: ServerPayloadOf<E>) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      target.off(event, listener);
      resolve(payload);
    };
    target.on(event, listener);
  });
}

/** Collects every `event` a socket receives, for asserting what did (or did not) arrive. */
export function collect<E extends ServerEventName>(
  socket: ChatSocket,
  event: E,
): ServerPayloadOf<E>[] {
  const seen: ServerPayloadOf<E>[] = [];
  (socket as unknown as { on(event: string, fn: (payload: ServerPayloadOf<E>) => void): void }).on(
    event,
    (payload) => seen.push(payload),
  );
  return seen;
}

/**
 * A round trip through the server on each socket: whatever the server had sent a socket before
 * it answered reaches the socket first (Socket.IO keeps one connection's packets in order).
 *
 * That proves a negative only for what the server would have sent *before* answering: the
 * effects of calls the test already had answered, on one node with the in-memory stores (they
 * broadcast before they answer). It proves nothing about what travels another way: across
 * nodes (Redis pub/sub, on connections of their own), after a timer (room counts are coalesced,
 * ROOM_ANNOUNCE_INTERVAL_MS in server.ts), or because of another connection's close the server
 * may not have read yet (see `disconnectHandled`). For those, wait for a sentinel that travels
 * the same path behind it — a message in the same room, a presence event from the same node (not
 * typing: it is volatile, and may be dropped), a room count announced after it — and assert once
 * the sentinel is in.
 */
export async function settle(...sockets: ChatSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) => request(socket, 'room:list', {}, 3000)));
}

/**
 * Disconnects a client, and resolves once its server has handled the close: the connection's
 * `disconnect` has fired there, so its cleanup (presence, typing) has begun. A client's
 * `disconnect()` only sends a packet: without this, the server may read another socket's next
 * request before it. On the in-memory stores the cleanup ends before the server reads anything
 * else, so a `settle` of another socket afterwards comes after all of it; across nodes (Redis),
 * follow it with a sentinel on the same path instead.
 */
export async function disconnectHandled(t: TestServer, socket: ChatSocket): Promise<void> {
  const id = socket.id;
  const serverSide = [...namespacesOf(t.server.io).all()]
    .map((namespace) => (id === undefined ? undefined : namespace.sockets.get(id)))
    .find((found) => found !== undefined);
  if (!serverSide) throw new Error('the server does not know this socket');
  const handled = new Promise<void>((resolve) => serverSide.once('disconnect', () => resolve()));
  socket.disconnect();
  await handled;
}

/**
 * For pacing a load and for waiting out a TTL or a delay the test is about. Never to let things
 * settle (poll the condition: `expect.poll`), nor to prove that something did not happen (a
 * sentinel: see `settle`).
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `Date.now()` reads at least `at`: to wait out a delay the test is about on the
 * clock the in-process server reads (its token buckets, its graces), counted from a reading
 * taken after the moment it runs from (the answer that told it, say). A timer alone can fire a
 * millisecond early on that clock (Node counts a timeout from the loop's cached time).
 */
export async function sleepUntil(at: number): Promise<void> {
  for (let left = at - Date.now(); left > 0; left = at - Date.now()) await sleep(left);
}

/** The messages among history entries (changes left out): what most tests look at. */
export function messagesOf(entries: readonly HistoryEntry[]): Message[] {
  return entries.filter((entry): entry is Message => !isChange(entry));
}

/** The same socket without the protocol's types: for sending what a typed client cannot. */
export function untyped(socket: ChatSocket): Socket {
  return socket as unknown as Socket;
}

/** One arrival or departure a socket heard. */
export interface PresenceHeard {
  room: string;
  id: string;
  joined: boolean;
}

/**
 * Every arrival and departure a socket hears, in order, whichever event carried it: a lone
 * `presence:joined` / `presence:left`, or several at once in `presence:changed` (left first).
 * Arrivals and departures go out per room once per window (the room announcer), after the
 * call that caused them has answered: to prove one did not happen, wait for a later one in the
 * same room (a sentinel user joining) to be heard.
 */
export function presenceLog(socket: ChatSocket): PresenceHeard[] {
  const heard: PresenceHeard[] = [];
  socket.on('presence:joined', ({ room, member }) =>
    heard.push({ room, id: member.id, joined: true }),
  );
  socket.on('presence:left', ({ room, member }) =>
    heard.push({ room, id: member.id, joined: false }),
  );
  socket.on('presence:changed', ({ room, joined, left }) => {
    for (const member of left) heard.push({ room, id: member.id, joined: false });
    for (const member of joined) heard.push({ room, id: member.id, joined: true });
  });
  return heard;
}
